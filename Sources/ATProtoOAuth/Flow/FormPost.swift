import Foundation

/// The shape of every request to the authorization server's form endpoints (PAR, token,
/// revocation): a form-encoded POST carrying a DPoP proof (R17, R22).
enum FormPost {
    static func request(endpoint: URL, items: [(String, String)], dpopProof: String) -> HTTPRequest {
        HTTPRequest(
            method: "POST", url: endpoint,
            headers: [
                (name: "Content-Type", value: "application/x-www-form-urlencoded"),
                (name: "Accept", value: "application/json"),
                (name: "DPoP", value: dpopProof),
            ],
            body: Data(FormEncoding.encode(items).utf8))
    }
}
