import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `posix_spawn` for children that start daemons (tmux's server, PostgreSQL's postmaster through
/// `pg_ctl`), because Foundation's `Process` is wrong for them twice over:
/// - it watches a socket its children inherit; a daemon started by the child keeps that open,
///   so the child is never seen to finish (`isRunning` stays true after it exited: what hung
///   `postgres-test-cluster resume` run from the test process, and tmux's `new-session`).
///   Here the child gets only fds 0–2.
/// - it spawns from a Swift Concurrency thread whose signal mask blocks SIGHUP, SIGTERM,
///   SIGCHLD…; tmux hands the client's mask to its server and the pane's shell, so
///   `kill-server` (a SIGTERM to itself) would do nothing and the demo would run in a terminal
///   no real user has. Here the child starts with an empty mask and default dispositions.
enum CleanSpawn {
    private typealias AddCloseFrom =
        @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// How a child run by ``run(_:_:environment:timeout:)`` ended, and what it wrote.
    struct Finished: Sendable, CustomStringConvertible {
        /// The raw `waitpid` status.
        let status: Int32
        let stdout: String
        let stderr: String

        /// True when the child exited (rather than being killed by a signal).
        var exited: Bool { status & 0x7f == 0 }
        /// The exit code, meaningful when ``exited``.
        var exitCode: Int32 { (status >> 8) & 0xff }

        var description: String {
            "status \(status) (exit \(exitCode))\n--- stdout ---\n\(stdout)\n--- stderr ---\n\(stderr)"
        }
    }

    /// Starts `executable` with stdin from /dev/null, stdout and stderr into the given files, no
    /// other fd, an empty signal mask and default signal dispositions. Returns its pid: the
    /// caller must reap it (`waitpid`).
    static func start(
        _ executable: String, _ arguments: [String], environment: [String: String], stdout: String, stderr: String
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // glibc ≥ 2.34 has it; Swift does not import the `_np` declaration, so look it up.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        else { throw SupportError("this libc has no posix_spawn_file_actions_addclosefrom_np (glibc ≥ 2.34 needed)") }
        _ = unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw SupportError("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// Runs `executable` to completion through ``start(_:_:environment:stdout:stderr:)``, its
    /// output through files that are removed afterwards. Awaited by polling `waitpid(WNOHANG)`
    /// between short sleeps, so no cooperative thread blocks; a cancelled task still waits (a
    /// cleanup path must finish), and past `timeout` the child is killed (SIGKILL) and this throws.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String], timeout: Duration
    ) async throws -> Finished {
        let scratch = FileManager.default.temporaryDirectory
        let id = UUID().uuidString
        let outPath = scratch.appendingPathComponent("clean-spawn-\(id).out").path
        let errPath = scratch.appendingPathComponent("clean-spawn-\(id).err").path
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        let pid = try start(executable, arguments, environment: environment, stdout: outPath, stderr: errPath)
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped == -1, errno != EINTR {
                throw SupportError("waitpid for \(executable): \(String(cString: strerror(errno)))")
            }
            if ContinuousClock.now >= deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)  // already dead: returns at once
                throw SupportError(
                    "\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout)")
            }
            if Task.isCancelled {
                usleep(10_000)  // Task.sleep would return at once
            } else {
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
        return Finished(
            status: status, stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }
}
