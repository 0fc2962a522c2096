import ATProtoOAuth
import Foundation

extension AccountStore {
    /// What `recoverInterruptedSaves` did, by file name (never by content: no secrets).
    struct InterruptedSaveRecovery: Sendable, Equatable {
        /// The temporary file renamed into place, if any.
        var adopted: String?
        /// Temporary files removed: incomplete, corrupt, not ours, or no newer than the account file.
        var removed: [String] = []
        /// Temporary files left alone: written by a newer atproto-oauth, or the newest one when
        /// renaming it failed (the next holder of the lock tries again).
        var kept: [String] = []
        /// What went wrong along the way; none of it touched the account file.
        var problems: [StoreProblem] = []
    }

    /// Finishes or discards the saves of `did` that a killed process left half done. Runs inside
    /// `withLock(did)`, after the lock is taken and before the body.
    ///
    /// Why a leftover temporary file can be trusted here: every writer of `accounts/<did>.json`
    /// holds this account's lock for the whole load → token request → save (SessionAgent's
    /// refresh, login and logout all save inside `withLock`). We hold that lock now, so no live
    /// process is writing this account: each temporary file of it was left by a writer that died
    /// before its `rename`. If the writer died after writing everything, the file holds the newest
    /// token set, and the refresh token in the account file has ALREADY been spent (R24: single
    /// use). Loading the account file and refreshing would replay it, and the authorization
    /// server would revoke the whole session. So the newest complete temporary file that is newer
    /// than the account file is renamed into place; all others are removed.
    ///
    /// A temporary file is adopted only when it is a regular 0600 file owned by us (how
    /// `writeAtomically` creates them), decodes in full through the same migrations and decoder
    /// as `load`, names this DID, and was issued later (`refreshedAt`, else `createdAt`) than the
    /// account file, or the account file is missing. Equal times mean the same token set (only
    /// nonces or `needsLogin` could differ, both safe to lose), so the account file is kept.
    ///
    /// Best effort and conservative: nothing here throws, the account file is only ever replaced
    /// by an atomic `rename`, and when the account file exists but cannot be read (permissions,
    /// corrupt, newer format) nothing is touched, so the body's `load` reports that file's problem.
    /// Temporary files written by a newer atproto-oauth are kept for it. Other accounts' temporary
    /// files are never looked at: their own lock is not held.
    @discardableResult
    func recoverInterruptedSaves(of did: DID) -> InterruptedSaveRecovery {
        var recovery = InterruptedSaveRecovery()
        let place = place(account: did)
        let temporaries = PrivateFiles.temporaryFiles(of: place)
        guard !temporaries.isEmpty else { return recovery }

        let current: Session?
        do {
            current = try readSession(at: place)
        } catch {
            recovery.problems.append(Self.problem(error, place))
            return recovery
        }
        if let current, current.did != did { return recovery }  // misnamed file: load reports it

        var candidates: [(place: PrivateFiles.Place, issued: Date)] = []
        var discarded: [PrivateFiles.Place] = []
        for temporary in temporaries {
            do {
                guard let session = try readSession(at: temporary, exactPermissions: 0o600) else { continue }
                if session.did == did, current.map({ Self.issued(session) > Self.issued($0) }) ?? true {
                    candidates.append((temporary, Self.issued(session)))
                } else {
                    discarded.append(temporary)
                }
            } catch let error as AccountStoreError where error.code == .newerVersion {
                recovery.kept.append(temporary.url.lastPathComponent)
            } catch {
                discarded.append(temporary)
            }
        }

        // The newest wins (names break ties, so the choice is deterministic); the rest go.
        candidates.sort { ($0.issued, $0.place.url.lastPathComponent) > ($1.issued, $1.place.url.lastPathComponent) }
        if let best = candidates.first {
            do {
                try PrivateFiles.adopt(best.place, as: place)
                recovery.adopted = best.place.url.lastPathComponent
            } catch {
                // Kept, not removed: it still holds the newest tokens for the next holder to retry.
                recovery.problems.append(Self.problem(error, best.place))
                recovery.kept.append(best.place.url.lastPathComponent)
            }
        }
        discarded.append(contentsOf: candidates.dropFirst().map(\.place))

        for temporary in discarded {
            do {
                if try PrivateFiles.remove(temporary) { recovery.removed.append(temporary.url.lastPathComponent) }
            } catch {
                recovery.problems.append(Self.problem(error, temporary))
            }
        }
        if !recovery.removed.isEmpty {
            try? PrivateFiles.syncDirectory(PrivateFiles.Place(url: accountsDirectory, display: "accounts/"))
        }
        recovery.removed.sort()
        return recovery
    }

    /// When the session's current token set was issued: the last refresh, else the login.
    private static func issued(_ session: Session) -> Date {
        max(session.createdAt, session.refreshedAt ?? session.createdAt)
    }

    private static func problem(_ error: any Error, _ place: PrivateFiles.Place) -> StoreProblem {
        let classified = error as? AccountStoreError ?? AccountStoreError(.fileSystem, path: place.display, "\(error)")
        return StoreProblem(classified, file: place.display)
    }
}
