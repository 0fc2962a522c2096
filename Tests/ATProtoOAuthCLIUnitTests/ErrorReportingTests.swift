import ATProtoAccountStore
import ATProtoDiscovery
import ATProtoOAuth
import ATProtoOAuthLogin
import ArgumentParser
import Foundation
import Testing

@testable import ATProtoHTTP
@testable import ATProtoOAuthCLI

/// `ErrorReporting.exitCode`: the documented exit codes, decided by a failure's typed cause.
@Suite("Exit codes by cause")
struct ErrorReportingTests {

    func code(_ error: any Error) -> Int32 { ErrorReporting.exitCode(for: error).rawValue }

    static func url(_ string: String) throws -> URL { try #require(URL(string: string)) }

    @Test("Exit codes: a login failing on the network (refused, time-out) is 7, whatever the step")
    func networkDuringLogin() throws {
        let endpoint = try Self.url("https://as.example/oauth/token")
        let causes: [any Error] = [
            ATProtoHTTPError.connectionRefused(endpoint, target: "as.example:443"),
            ATProtoHTTPError.timeout(endpoint, after: .seconds(2)),
            ATProtoOAuthError(.transport, "wrapped by the core"),
        ]
        for cause in causes {
            for step: LoginError.Code in [.token, .par, .subject, .clientMetadata] {
                #expect(code(LoginError.wrapping(cause, as: step)) == 7, "\(step): \(cause)")
            }
        }
        // The subject check's discovery failed on the network.
        let discovery = DiscoveryError(
            .transport, step: .resolveDID, "no answer",
            underlying: ATProtoHTTPError.timeout(endpoint, after: .seconds(2)))
        #expect(code(LoginError(.subject, "cannot resolve", underlying: discovery)) == 7)
    }

    @Test(
        "Exit codes: while using a session, the R21 re-check's time-out or error answer is 7; a broken identity stays 3"
    )
    func discoveryWhileUsingASession() throws {
        let document = try Self.url("https://plc.example/did:plc:abc")
        let timeout = DiscoveryError(
            .transport, step: .resolveDID, "no answer",
            underlying: ATProtoHTTPError.timeout(document, after: .seconds(3)))
        let serverError = DiscoveryError(.badResponse, step: .resolveDID, "status: HTTP 500; expected exactly 200")
        let broken = DiscoveryError(.invalidDocument, step: .pdsEndpoint, "no #atproto_pds service")
        for error in [timeout, serverError] {
            #expect(ErrorReporting.exitCode(for: error, usingSession: true).rawValue == 7)
            #expect(code(error) == 3, "outside a session command it is still a failed discovery")
        }
        #expect(ErrorReporting.exitCode(for: broken, usingSession: true).rawValue == 3)
    }

    @Test("Exit codes: an OAuth refusal or a failed check during login stays 4")
    func refusalsStay4() {
        let refusal = ATProtoOAuthError(
            .oauthError, rule: "R20", field: "invalid_grant", "token request: invalid_grant")
        #expect(code(LoginError.wrapping(refusal, as: .token)) == 4)
        let check = ATProtoOAuthError(.invalidTokenResponse, rule: "R20", field: "token_type", "Bearer")
        #expect(code(LoginError(.token, "R20", underlying: check)) == 4)
        #expect(code(LoginError(.denied, "access_denied")) == 4)
        #expect(code(LoginError(.timeout, "no callback")) == 4)
        #expect(code(LoginError(.subject, "sub is not the account (R21)")) == 4)
    }

    @Test("Exit codes: discovery failures are 3, also inside a login; store failures while saving are 6")
    func discoveryAndStore() {
        let discovery = DiscoveryError(.notFound, step: .resolveHandle, "nothing answered")
        #expect(code(discovery) == 3)
        #expect(code(LoginError(.discovery, step: "resolve-handle", "x", underlying: discovery)) == 3)
        let store = AccountStoreError(.lockTimeout, path: "locks/x.lock", "held")
        #expect(code(LoginError.wrapping(store, as: .save)) == 6)
        #expect(code(store) == 6)
    }
}
