import ATProtoOAuth
import Foundation

extension AccountStore {
    /// How old a leftover temporary file must be before `save` removes it. A writer takes
    /// milliseconds; anything this old was left by a process killed between create and rename.
    static let staleTemporaryFileAge: TimeInterval = 600

    /// Every account in the store. Never throws: files that cannot be read (corrupt JSON,
    /// group/other-readable, written by a newer version, misnamed) are listed in `problems`
    /// by name, and the other accounts still load. Nothing is deleted or rewritten.
    /// Temporary files left by an interrupted save (`.…tmp`) are ignored.
    public func loadAll() -> AccountListing {
        var sessions: [Session] = []
        var problems: [StoreProblem] = []
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: accountsDirectory.path)
        } catch {
            let problem = AccountStoreError(
                .fileSystem, path: "accounts/", "cannot list the accounts directory: \(error.localizedDescription)")
            return AccountListing(sessions: [], problems: [StoreProblem(problem, file: "accounts/")])
        }
        for outcome in readListed(names.filter(Self.isAccountFileName)) {
            switch outcome {
            case .gone: break
            case .session(let session): sessions.append(session)
            case .problem(let problem): problems.append(problem)
            }
        }
        problems += configProblems()
        sessions.sort { ($0.listingName, $0.did.rawValue) < ($1.listingName, $1.did.rawValue) }
        problems.sort { $0.file < $1.file }
        return AccountListing(sessions: sessions, problems: problems)
    }

    /// An account file's name: `<stem>.json`, not a temporary file (`.…tmp`).
    static func isAccountFileName(_ name: String) -> Bool { name.hasSuffix(".json") && !name.hasPrefix(".") }

    /// `config.json`'s problem, if it cannot be read: listed with the accounts' problems.
    func configProblems() -> [StoreProblem] {
        do {
            _ = try readConfig()
            return []
        } catch let error as AccountStoreError {
            return [StoreProblem(error, file: configPlace.display)]
        } catch {
            return [StoreProblem(AccountStoreError(.fileSystem, path: "config.json", "\(error)"), file: "config.json")]
        }
    }

    /// Reads the files `accounts/<name>`, in order. Reading is dominated by JSON decoding
    /// (~0.3 ms a file), so many files are read on every core: each file's outcome goes into
    /// its own slot.
    func readListed(_ files: [String]) -> [FileOutcome] {
        var outcomes = [FileOutcome](repeating: .gone, count: files.count)
        let workers = files.count < 32 ? 1 : min(ProcessInfo.processInfo.activeProcessorCount, files.count / 16)
        outcomes.withUnsafeMutableBufferPointer { slots in
            let slots = SlotBuffer(base: slots)
            if workers <= 1 {
                for index in files.indices { slots.base[index] = readListed(files[index]) }
                return
            }
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                for index in stride(from: worker, to: files.count, by: workers) {
                    slots.base[index] = readListed(files[index])
                }
            }
        }
        return outcomes
    }

    /// What `loadAll` found in one listed file.
    enum FileOutcome: Sendable {
        /// Removed since the listing: another process logged it out meanwhile; not a problem.
        case gone
        case session(Session)
        case problem(StoreProblem)
    }

    /// `loadAll`'s per-file slots, written by several workers (each at its own indices).
    private struct SlotBuffer: @unchecked Sendable {
        let base: UnsafeMutableBufferPointer<FileOutcome>
    }

    /// Reads `accounts/<name>` for `loadAll`; safe to call from several threads at once.
    private func readListed(_ name: String) -> FileOutcome {
        let place = PrivateFiles.Place(
            url: accountsDirectory.appendingPathComponent(name, isDirectory: false), display: "accounts/" + name)
        do {
            guard let session = try readListedSession(at: place) else { return .gone }
            let expected = Self.fileStem(for: session.did) + ".json"
            guard name == expected else {
                throw AccountStoreError(
                    .corruptFile, path: place.display,
                    "holds the session of \(session.did), so it should be named accounts/\(expected); "
                        + "rename it (it is not loaded under the wrong name)")
            }
            return .session(session)
        } catch let error as AccountStoreError {
            return .problem(StoreProblem(error, file: place.display))
        } catch {
            return .problem(
                StoreProblem(AccountStoreError(.fileSystem, path: place.display, "\(error)"), file: place.display))
        }
    }

    /// `readSession` minus a redundant parse for the common case. `Session.decode` accepts only
    /// a JSON object whose `version` is `Session.currentVersion`, and for exactly those documents
    /// `StoreMigrations.sessions.upgrade` returns its input unchanged — so when the direct decode
    /// succeeds, the upgrade (a full JSON parse of its own, ~20 % of a load) is skipped with the
    /// same result. Any failure (older or newer format, corrupt file) goes through `readSession`
    /// for its precise error. Revisit when `StoreMigrations.sessions` gains a step.
    private func readListedSession(at place: PrivateFiles.Place) throws -> Session? {
        guard let data = try PrivateFiles.readPrivateFile(place) else { return nil }
        if StoreMigrations.sessions.currentVersion == Session.currentVersion,
            let session = try? Session.decode(data), session.version == Session.currentVersion
        {
            return session
        }
        return try readSession(at: place)
    }

    /// The stored session for `did`. Throws `.accountNotFound` when there is none, and the
    /// file's own problem (permissions, corrupt, newer version) when it cannot be used.
    public func load(_ did: DID) throws -> Session {
        let place = place(account: did)
        guard let session = try readSession(at: place) else {
            throw AccountStoreError(
                .accountNotFound, path: place.display,
                "no stored account for \(did); log it in with: atproto-oauth login \(did)")
        }
        guard session.did == did else {
            throw AccountStoreError(
                .corruptFile, path: place.display,
                "holds the session of \(session.did), not \(did); move it away and log in again")
        }
        return session
    }

    /// Writes `session` to `accounts/<did>.json` (0600) atomically: a reader, or a process
    /// killed at any instant, sees the old file or the new one in full, never a mix.
    /// The file is always written in the current format `version`.
    ///
    /// Call it inside `withLock(session.did)`: that lock is what lets the next holder treat a
    /// leftover temporary file of this account as a dead writer's and recover it (R24).
    public func save(_ session: Session) throws {
        let place = place(account: session.did)
        var current = session
        current.version = Session.currentVersion
        let data: Data
        do {
            data = try current.encoded()
        } catch {
            throw AccountStoreError(.corruptFile, path: place.display, "cannot encode the session: \(error)")
        }
        try PrivateFiles.writeAtomically(data, to: place)
        PrivateFiles.sweepStaleTemporaryFiles(of: place, olderThan: Self.staleTemporaryFileAge)
    }

    /// Removes the account's session file, and clears the default account if it was this one.
    /// Throws `.accountNotFound` when there is no such account. The lock file stays: removing a
    /// lock file another process may hold would let a third one lock a new file beside it.
    public func delete(_ did: DID) throws {
        let place = place(account: did)
        guard try PrivateFiles.remove(place) else {
            throw AccountStoreError(.accountNotFound, path: place.display, "no stored account for \(did)")
        }
        try PrivateFiles.syncDirectory(PrivateFiles.Place(url: accountsDirectory, display: "accounts/"))
        var config = try readConfig()
        if config.defaultAccount == did {
            config.setDefaultAccount(nil)
            try writeConfig(config)
        }
    }

    /// Reads, checks, upgrades and decodes one session file; `nil` when it does not exist.
    /// `exactPermissions` additionally requires that mode (used for temporary files).
    func readSession(at place: PrivateFiles.Place, exactPermissions: UInt32? = nil) throws -> Session? {
        guard let data = try PrivateFiles.readPrivateFile(place, exactPermissions: exactPermissions) else {
            return nil
        }
        let upgraded = try StoreMigrations.sessions.upgrade(data, display: place.display)
        do {
            return try Session.decode(upgraded)
        } catch let error as ATProtoOAuthError {
            throw AccountStoreError(
                .corruptFile, path: place.display,
                "is not a valid session (\(error)); move it away and log this account in again")
        }
    }
}
