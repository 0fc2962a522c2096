import Foundation
import Testing

@testable import ATProtoOAuth

@Suite("DID documents (R4, R5, R6)")
struct DIDDocumentTests {
    static let did = "did:plc:7iza6de2dwap2sbkpav7c6c6"

    static func document(
        id: String = did, aka: String = #"["at://alice.example.com"]"#, serviceID: String = "#atproto_pds",
        type: String = "AtprotoPersonalDataServer", endpoint: String = #""https://pds.example.com""#
    ) -> Data {
        Data(
            """
            {
              "@context": ["https://www.w3.org/ns/did/v1"],
              "id": "\(id)",
              "alsoKnownAs": \(aka),
              "verificationMethod": [],
              "service": [
                {"id": "#atproto_labeler", "type": "AtprotoLabeler", "serviceEndpoint": "https://labeler.example.com"},
                {"id": "\(serviceID)", "type": "\(type)", "serviceEndpoint": \(endpoint)}
              ]
            }
            """.utf8)
    }

    func decode(_ data: Data) throws -> DIDDocument {
        try DIDDocument.decode(data, expectedDID: try DID(Self.did))
    }

    @Test("R6: PDS endpoint with the relative '#atproto_pds' id")
    func relativeServiceID() throws {
        let document = try decode(Self.document())
        #expect(document.did == (try DID(Self.did)))
        #expect(try document.pdsEndpoint(allowHTTPLoopback: false).absoluteString == "https://pds.example.com")
    }

    @Test("R6: PDS endpoint with the full '<did>#atproto_pds' id, trailing slash dropped")
    func fullServiceID() throws {
        let document = try decode(
            Self.document(serviceID: Self.did + "#atproto_pds", endpoint: #""https://PDS.example.com:443/""#))
        #expect(try document.pdsEndpoint(allowHTTPLoopback: false).absoluteString == "https://pds.example.com")
    }

    @Test("R6: wrong service type is rejected, naming the type")
    func wrongType() throws {
        let document = try decode(Self.document(type: "AtprotoLabeler"))
        let error = try #require(throws: ATProtoOAuthError.self) { try document.pdsEndpoint(allowHTTPLoopback: false) }
        #expect(error.rule == "R6")
        #expect(error.field == "service[1].type")
    }

    @Test(
        "R6: the endpoint must be an https origin",
        arguments: [
            #""http://pds.example.com""#, #""https://pds.example.com/xrpc""#, #""https://pds.example.com?x=1""#,
            #""https://u:p@pds.example.com""#, #""not a url""#, #"{"uri": "https://pds.example.com"}"#, "42",
        ])
    func badEndpoint(_ endpoint: String) throws {
        let document = try decode(Self.document(endpoint: endpoint))
        let error = try #require(throws: ATProtoOAuthError.self) { try document.pdsEndpoint(allowHTTPLoopback: true) }
        #expect(error.rule == "R6")
        #expect(error.field == "service[1].serviceEndpoint")
    }

    @Test("R6/R29: http endpoints only for loopback in development mode")
    func loopbackEndpoint() throws {
        let document = try decode(Self.document(endpoint: #""http://127.0.0.1:2583""#))
        #expect(try document.pdsEndpoint(allowHTTPLoopback: true).absoluteString == "http://127.0.0.1:2583")
        #expect(throws: ATProtoOAuthError.self) { try document.pdsEndpoint(allowHTTPLoopback: false) }
    }

    @Test("R6: a document without a PDS service is rejected")
    func missingService() throws {
        let noPDS = try decode(Self.document(serviceID: "#something_else"))
        let error = try #require(throws: ATProtoOAuthError.self) { try noPDS.pdsEndpoint(allowHTTPLoopback: false) }
        #expect(error.rule == "R6")
        #expect(error.field == "service")
        let bare = try decode(Data(#"{"id": "\#(Self.did)"}"#.utf8))
        #expect(bare.service == nil && bare.alsoKnownAs == nil && bare.handle == nil)
        #expect(throws: ATProtoOAuthError.self) { try bare.pdsEndpoint(allowHTTPLoopback: false) }
    }

    @Test("R6: the first matching service wins")
    func firstServiceWins() throws {
        let data = Data(
            """
            {"id": "\(Self.did)", "service": [
              {"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": "https://first.example.com"},
              {"id": "\(Self.did)#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": "https://second.example.com"}
            ]}
            """.utf8)
        #expect(try decode(data).pdsEndpoint(allowHTTPLoopback: false).host() == "first.example.com")
    }

    @Test("R5: the first at:// alsoKnownAs entry is the claimed handle")
    func handleClaim() throws {
        let aka = #"["https://example.com", "at://Alice.Example.com", "at://other.example.com"]"#
        let document = try decode(Self.document(aka: aka))
        #expect(document.handle == (try Handle("alice.example.com")))
        #expect(document.verifies(try Handle("ALICE.example.com")))
        #expect(!document.verifies(try Handle("other.example.com")))
    }

    @Test("R5: alsoKnownAs mismatch, absence or invalid entry leaves the handle unverified")
    func handleMismatch() throws {
        let handle = try Handle("alice.example.com")
        #expect(!(try decode(Self.document(aka: #"["at://mallory.example.com"]"#)).verifies(handle)))
        #expect(!(try decode(Self.document(aka: "[]")).verifies(handle)))
        #expect(try decode(Self.document(aka: #"["at://not_valid"]"#)).handle == nil)
    }

    @Test("R4: the document id must equal the DID that was resolved")
    func idMismatch() throws {
        let error = try #require(throws: ATProtoOAuthError.self) {
            try decode(Self.document(id: "did:plc:someoneelse0000000000000"))
        }
        #expect(error.code == .invalidDIDDocument)
        #expect(error.field == "id")
    }

    @Test("R4: malformed JSON names the field that failed")
    func malformed() throws {
        let missingID = try #require(throws: ATProtoOAuthError.self) { try decode(Data(#"{"service": []}"#.utf8)) }
        #expect(missingID.field == "id")
        #expect(missingID.code == .invalidDIDDocument)
        let badType = try #require(throws: ATProtoOAuthError.self) {
            try decode(
                Data(#"{"id": "\#(Self.did)", "service": [{"id": 1, "type": "x", "serviceEndpoint": "y"}]}"#.utf8))
        }
        #expect(badType.field == "service[0].id")
        let notJSON = try #require(throws: ATProtoOAuthError.self) { try decode(Data("<html>".utf8)) }
        #expect(notJSON.code == .invalidDIDDocument)
        let akaNotArray = try #require(throws: ATProtoOAuthError.self) {
            try decode(Data(#"{"id": "\#(Self.did)", "alsoKnownAs": "at://a.b"}"#.utf8))
        }
        #expect(akaNotArray.field == "alsoKnownAs")
    }
}
