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

    @Test("R6: a '#atproto_pds' service of another type and no other match is rejected, naming the type")
    func wrongType() throws {
        let document = try decode(Self.document(type: "AtprotoLabeler"))
        let error = try #require(throws: ATProtoOAuthError.self) { try document.pdsEndpoint(allowHTTPLoopback: false) }
        #expect(error.rule == "R6")
        #expect(error.field == "service[1].type")
        #expect(error.reason.contains("AtprotoLabeler") && error.reason.contains("AtprotoPersonalDataServer"))
    }

    @Test("R6: a '#atproto_pds' service of another type is skipped when a later one matches id and type")
    func wrongTypeThenMatch() throws {
        let data = Data(
            """
            {"id": "\(Self.did)", "service": [
              {"id": "#atproto_pds", "type": "SomethingElse", "serviceEndpoint": "https://wrong.example.com"},
              {"id": "\(Self.did)#atproto_pds", "type": "AtprotoPersonalDataServer",
               "serviceEndpoint": "https://right.example.com"}
            ]}
            """.utf8)
        #expect(try decode(data).pdsEndpoint(allowHTTPLoopback: false).host() == "right.example.com")
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
        let numericID = try #require(throws: ATProtoOAuthError.self) {
            try decode(Data(#"{"id": 42}"#.utf8))
        }
        #expect(numericID.field == "id")
        let notJSON = try #require(throws: ATProtoOAuthError.self) { try decode(Data("<html>".utf8)) }
        #expect(notJSON.code == .invalidDIDDocument)
        let akaNotArray = try #require(throws: ATProtoOAuthError.self) {
            try decode(Data(#"{"id": "\#(Self.did)", "alsoKnownAs": "at://a.b"}"#.utf8))
        }
        #expect(akaNotArray.field == "alsoKnownAs")
    }

    // MARK: DID Core shapes (R6): tolerant where DID Core allows, precise where the PDS is broken.

    @Test("R6: a service type may be an array of strings; the PDS matches when it contains the type")
    func typeArray() throws {
        let data = Data(
            """
            {"id": "\(Self.did)", "service": [
              {"id": "#atproto_pds", "type": ["Extra", "AtprotoPersonalDataServer"],
               "serviceEndpoint": "https://array.example.com"}
            ]}
            """.utf8)
        let parsed = try decode(data)
        #expect(parsed.service?.first?.types == ["Extra", "AtprotoPersonalDataServer"])
        #expect(parsed.service?.first?.hasType(DIDDocument.pdsServiceType) == true)
        #expect(try parsed.pdsEndpoint(allowHTTPLoopback: false).host() == "array.example.com")
    }

    @Test("R6: map and array serviceEndpoints on other services are kept and ignored")
    func endpointShapes() throws {
        let data = Data(
            """
            {"id": "\(Self.did)", "service": [
              {"id": "#atproto_labeler", "type": "AtprotoLabeler", "serviceEndpoint": {"uri": "https://l.example"}},
              {"id": "#hub", "type": ["A", "B"], "serviceEndpoint": ["https://a.example", {"x": "https://b.example"}]},
              {"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": "https://pds.example.com"}
            ]}
            """.utf8)
        let document = try decode(data)
        #expect(document.service?.count == 3)
        #expect(document.service?[0].serviceEndpoint["uri"]?.stringValue == "https://l.example")
        #expect(try document.pdsEndpoint(allowHTTPLoopback: false).host() == "pds.example.com")
    }

    @Test(
        "R6: malformed services other than the PDS are dropped, never fatal",
        arguments: [
            #"{"type": "AtprotoLabeler", "serviceEndpoint": "https://l.example"}"#,
            #"{"id": 7, "type": "AtprotoLabeler", "serviceEndpoint": "https://l.example"}"#,
            ##"{"id": "#labeler", "type": 3, "serviceEndpoint": "https://l.example"}"##,
            ##"{"id": "#labeler", "type": ["A", 1], "serviceEndpoint": "https://l.example"}"##,
            ##"{"id": "#labeler", "type": "AtprotoLabeler"}"##,
            ##"{"id": "#labeler", "type": "AtprotoLabeler", "serviceEndpoint": 12}"##,
            #""just a string""#, "42", "null", "[]",
        ])
    func malformedOtherServices(_ entry: String) throws {
        let data = Data(
            """
            {"id": "\(Self.did)", "service": [\(entry),
              {"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": "https://pds.example.com"}
            ]}
            """.utf8)
        let document = try decode(data)
        #expect(document.service?.count == 1)
        #expect(try document.pdsEndpoint(allowHTTPLoopback: false).host() == "pds.example.com")
        // Errors still name the PDS entry by its position in the raw document.
        let http = try decode(
            Data(
                String(decoding: data, as: UTF8.self).replacingOccurrences(
                    of: "https://pds.example.com", with: "http://pds.example.com"
                ).utf8))
        let error = try #require(throws: ATProtoOAuthError.self) { try http.pdsEndpoint(allowHTTPLoopback: false) }
        #expect(error.field == "service[1].serviceEndpoint")
    }

    @Test(
        "R6: a malformed PDS service fails with the field at fault",
        arguments: [
            (##"{"id": "#atproto_pds", "type": 5, "serviceEndpoint": "https://p.example"}"##, "service[0].type"),
            (##"{"id": "#atproto_pds", "serviceEndpoint": "https://p.example"}"##, "service[0].type"),
            (##"{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer"}"##, "service[0].serviceEndpoint"),
            (
                ##"{"id": "#atproto_pds", "type": ["AtprotoPersonalDataServer"], "serviceEndpoint": true}"##,
                "service[0].serviceEndpoint"
            ),
        ])
    func malformedPDSService(_ entry: String, _ field: String) throws {
        let document = try decode(Data(#"{"id": "\#(Self.did)", "service": [\#(entry)]}"#.utf8))
        let error = try #require(throws: ATProtoOAuthError.self) { try document.pdsEndpoint(allowHTTPLoopback: false) }
        #expect(error.rule == "R6")
        #expect(error.field == field)
        #expect(error.code == .invalidDIDDocument)
    }

    @Test("R6: the PDS endpoint must be a string URL even though DID Core allows maps and arrays")
    func pdsEndpointNotString() throws {
        for endpoint in [#"{"uri": "https://pds.example.com"}"#, #"["https://pds.example.com"]"#] {
            let document = try decode(Self.document(endpoint: endpoint))
            let error = try #require(throws: ATProtoOAuthError.self) {
                try document.pdsEndpoint(allowHTTPLoopback: false)
            }
            #expect(error.field == "service[1].serviceEndpoint")
            #expect(error.reason.contains("not a string URL"))
        }
    }

    @Test("R6: a 'service' member that is not an array decodes, then names no PDS")
    func serviceNotArray() throws {
        let document = try decode(
            Data(#"{"id": "\#(Self.did)", "alsoKnownAs": ["at://a.example.com"], "service": {}}"#.utf8))
        #expect(document.handle == (try Handle("a.example.com")))
        let error = try #require(throws: ATProtoOAuthError.self) { try document.pdsEndpoint(allowHTTPLoopback: false) }
        #expect(error.rule == "R6")
        #expect(error.field == "service")
        #expect(error.reason.contains("not an array"))
    }

    @Test("R4, R6: unknown members and unknown verification-method types are ignored")
    func unknownMembers() throws {
        let data = Data(
            """
            {"@context": "https://www.w3.org/ns/did/v1", "id": "\(Self.did)", "controller": ["\(Self.did)"],
             "x-custom": {"nested": [1, 2, {"a": null}]}, "authentication": ["#k"],
             "verificationMethod": [
               {"id": "#k", "type": "SomeFutureKey2030", "controller": "\(Self.did)", "publicKeyJwk": {"kty": "OKP"}},
               "not even an object"
             ],
             "alsoKnownAs": ["at://alice.example.com"],
             "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                          "serviceEndpoint": "https://pds.example.com", "extra": true}]}
            """.utf8)
        let document = try decode(data)
        #expect(document.handle == (try Handle("alice.example.com")))
        #expect(try document.pdsEndpoint(allowHTTPLoopback: false).host() == "pds.example.com")
    }

    @Test("R5: non-string alsoKnownAs entries are ignored; other schemes are skipped")
    func alsoKnownAsNonStrings() throws {
        let aka =
            #"[42, {"uri": "at://evil.example.com"}, null, "https://alice.example.com", "at://alice.example.com"]"#
        let document = try decode(Self.document(aka: aka))
        #expect(document.alsoKnownAs == ["https://alice.example.com", "at://alice.example.com"])
        #expect(document.handle == (try Handle("alice.example.com")))
    }

    @Test("R4–R6: encoding keeps every service in place, so a decoded copy is equal")
    func roundTrip() throws {
        let data = Data(
            """
            {"id": "\(Self.did)", "service": [
              {"id": "#x", "type": 1, "serviceEndpoint": "https://x.example"},
              {"id": "#atproto_pds", "type": ["AtprotoPersonalDataServer"], "serviceEndpoint": "ftp://pds.example.com"}
            ]}
            """.utf8)
        let document = try decode(data)
        let again = try decode(try JSONEncoder().encode(document))
        #expect(again == document)
        let error = try #require(throws: ATProtoOAuthError.self) { try again.pdsEndpoint(allowHTTPLoopback: false) }
        #expect(error.field == "service[1].serviceEndpoint")
        let built = DIDDocument(
            id: Self.did, alsoKnownAs: ["at://a.example.com"],
            service: [
                .init(
                    id: "#atproto_pds", type: "AtprotoPersonalDataServer", serviceEndpoint: .string("https://p.example")
                )
            ])
        #expect(try decode(try JSONEncoder().encode(built)) == built)
    }
}
