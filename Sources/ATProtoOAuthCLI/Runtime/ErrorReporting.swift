import ATProtoAccountStore
import ATProtoDiscovery
import ATProtoHTTP
import ATProtoOAuth
import ATProtoOAuthClient
import ATProtoOAuthLogin
import ATProtoPostgresStore
import ArgumentParser
import Foundation

/// Turns any failure into one clear `error:` line on stderr and the documented exit code.
enum ErrorReporting {
    /// Runs a command body; failures are printed and mapped to `ExitCodes`.
    /// - Parameter usingSession: the command uses stored sessions (token, api, refresh,
    ///   proxy, status --check): a discovery failure there is the R21 re-check before a
    ///   refresh, and one caused by the network or a server's error answer is a network error
    ///   while using a session (7), not a failed discovery (3).
    static func run(usingSession: Bool = false, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let exit as ExitCode {
            throw exit
        } catch let error as ValidationError {
            throw error
        } catch {
            Terminal.info("error: \(message(for: error))")
            throw exitCode(for: error, usingSession: usingSession)
        }
    }

    static func message(for error: any Error) -> String {
        switch error {
        case let error as any CustomStringConvertible: error.description
        default: "\(error)"
        }
    }

    /// The exit code for a failure, decided by its typed cause, never by its text: a login
    /// failure whose cause is the network (the transport's error, e.g. a refused connection or a
    /// time-out during the token request) is 7 like any other network failure, a discovery
    /// failure is 3, a store failure 6; a login refused or failing its checks is 4.
    static func exitCode(for error: any Error, usingSession: Bool = false) -> ExitCode {
        switch error {
        case let error as DiscoveryError:
            if usingSession, error.code == .transport || error.code == .badResponse { return ExitCodes.networkError }
            return ExitCodes.discoveryFailed
        case let error as LoginError:
            if error.code == .discovery { return ExitCodes.discoveryFailed }
            switch error.rootCause {
            case let cause? where isNetworkFailure(cause): return ExitCodes.networkError
            case is AccountStoreError, is PostgresStoreError: return ExitCodes.storeError
            default: return ExitCodes.loginFailed
            }
        case is AccountStoreError, is PostgresStoreError, is AccountResolutionError:
            return ExitCodes.storeError
        case is ATProtoHTTPError:
            return ExitCodes.networkError
        case let error as ATProtoOAuthError:
            if error.code == .needsLogin || error.code == .issuerChanged { return ExitCodes.needsLogin }
            if [.accountNotFound, .lockTimeout, .accountMoving, .moveNotVerified].contains(error.code) {
                return ExitCodes.storeError
            }
            if error.code == .invalidIdentifier || error.code == .invalidHandle || error.code == .invalidDID
                || error.code == .invalidNSID || error.code == .invalidScope
            {
                return ExitCodes.usage
            }
            return ExitCodes.networkError
        default:
            return ExitCodes.attention
        }
    }

    /// The request never got an answer: the transport's own error, or one wrapped by the core
    /// or by discovery (whose `.transport` errors keep the transport's as their cause).
    static func isNetworkFailure(_ error: any Error) -> Bool {
        switch error {
        case is ATProtoHTTPError:
            return true
        case let error as ATProtoOAuthError:
            return error.code == .transport
        case let error as DiscoveryError:
            return error.code == .transport && error.underlying.map(isNetworkFailure) ?? true
        default:
            return false
        }
    }
}
