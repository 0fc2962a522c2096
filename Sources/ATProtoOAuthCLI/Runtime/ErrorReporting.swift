import ATProtoDiscovery
import ATProtoHTTP
import ATProtoOAuth
import ATProtoOAuthLogin
import AccountStore
import ArgumentParser
import Foundation

/// Turns any failure into one clear `error:` line on stderr and the documented exit code.
enum ErrorReporting {
    /// Runs a command body; failures are printed and mapped to `ExitCodes`.
    static func run(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let exit as ExitCode {
            throw exit
        } catch let error as ValidationError {
            throw error
        } catch {
            Terminal.info("error: \(message(for: error))")
            throw exitCode(for: error)
        }
    }

    static func message(for error: any Error) -> String {
        switch error {
        case let error as any CustomStringConvertible: error.description
        default: "\(error)"
        }
    }

    static func exitCode(for error: any Error) -> ExitCode {
        switch error {
        case is DiscoveryError:
            return ExitCodes.discoveryFailed
        case let error as LoginError:
            return error.code == .discovery ? ExitCodes.discoveryFailed : ExitCodes.loginFailed
        case is AccountStoreError:
            return ExitCodes.storeError
        case is ATProtoHTTPError:
            return ExitCodes.networkError
        case let error as ATProtoOAuthError:
            if error.code == .needsLogin || error.code == .issuerChanged { return ExitCodes.needsLogin }
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
}
