import ArgumentParser

/// The exit codes every command shares. They are a contract for scripts: keep them stable
/// and keep the README's table and the root command's help in step with them.
enum ExitCodes {
    /// Success.
    static let success = ExitCode(0)
    /// A reporting command found an account that needs attention, or a general failure.
    static let attention = ExitCode(1)
    /// Usage error: bad flags or arguments (ArgumentParser's own code).
    static let usage = ExitCode(2)
    /// Discovery failed (handle, DID, PDS or authorization-server metadata).
    static let discoveryFailed = ExitCode(3)
    /// Login failed: denied, timed out, or a check on the callback or token response failed.
    static let loginFailed = ExitCode(4)
    /// The account needs a new login (refresh token rejected or expired).
    static let needsLogin = ExitCode(5)
    /// The account store is unusable (permissions, corrupt file, lock timeout) or the account is unknown.
    static let storeError = ExitCode(6)
    /// A network or server error: while using a session (refresh, request, revoke), or during
    /// a login once discovery is done (PAR, token exchange).
    static let networkError = ExitCode(7)

    /// The table printed in `--help` and mirrored in the README.
    static let helpText = """
        Exit codes:
          0  success
          1  an account needs attention (status), or a general failure
          2  usage error
          3  discovery failed
          4  login failed (denied, timed out, callback or token checks failed)
          5  the account needs a new login
          6  account store error or unknown account
          7  network error (also during a login after discovery), or server error while using a session
        """
}
