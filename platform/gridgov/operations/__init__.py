"""The service layer: every change of state goes through here, shared by the API, the console,
the CLI and the jobs. Operations validate, write, flush and record the audit log; the caller
commits (one transaction per request or command)."""
