import ATProtoOAuth
import Foundation
import Testing

/// `Resources/client-metadata.json` is the document users copy to host their own client id:
/// it must pass every R10–R12 check the core applies, once `client_id` names where it lives.
@Suite("Resources/client-metadata.json")
struct ClientMetadataResourceTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    @Test("R10–R12: the shipped example passes every hosted native client check")
    func shippedExamplePasses() throws {
        let data = try Data(contentsOf: Self.packageRoot.appending(path: "Resources/client-metadata.json"))
        let metadata = try ClientMetadata.decode(data)
        let url = try #require(URL(string: metadata.clientID))
        let response = HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: data)
        let checks = metadata.checks(
            clientID: url, fetchedResponse: response, requestedScope: "atproto transition:generic")
        #expect(checks.failures.isEmpty, "failing: \(checks.failures)")
        #expect(checks.count >= 9)
    }

    @Test("R12: its port-less loopback redirect matches the listener's ephemeral port")
    func loopbackRedirectMatchesAnyPort() throws {
        let data = try Data(contentsOf: Self.packageRoot.appending(path: "Resources/client-metadata.json"))
        let metadata = try ClientMetadata.decode(data)
        #expect(metadata.allowsRedirectURI("http://127.0.0.1:53172/callback"))
        #expect(!metadata.allowsRedirectURI("http://localhost:53172/callback"))
        #expect(!metadata.allowsRedirectURI("http://127.0.0.1:53172/other"))
    }
}
