import Foundation
import Testing

@testable import ATProtoHTTP

@Suite("ProxySettings")
struct ProxySettingsTests {
    @Test("The environment's proxy variables: lower case wins, NO_PROXY is a trimmed comma list")
    func fromEnvironment() throws {
        let settings = try #require(
            ProxySettings.from(environment: [
                "HTTPS_PROXY": "http://upper:3128",
                "https_proxy": "http://lower:3128",
                "HTTP_PROXY": "plain:8080",
                "NO_PROXY": " .internal.example, localhost ,,",
            ]))
        #expect(settings.httpsProxy == "http://lower:3128")
        #expect(settings.httpProxy == "plain:8080")
        #expect(settings.noProxy == [".internal.example", "localhost"])
        #expect(ProxySettings.from(environment: ["NO_PROXY": "*"]) == nil)
    }

    @Test("NO_PROXY matches the host and its subdomains, ignores ports, and * matches all")
    func bypass() {
        let settings = ProxySettings(httpsProxy: "p:1", noProxy: [".internal.example", "pds.test:443", "[::2]"])
        #expect(settings.bypasses(host: "internal.example"))
        #expect(settings.bypasses(host: "a.b.internal.example"))
        #expect(settings.bypasses(host: "PDS.test"))
        #expect(settings.bypasses(host: "::2"))
        #expect(!settings.bypasses(host: "notinternal.example"))
        #expect(!settings.bypasses(host: "bsky.social"))
        #expect(ProxySettings(httpsProxy: "p:1", noProxy: ["*"]).bypasses(host: "bsky.social"))
    }

    @Test("Proxy values parse into host, port and credentials")
    func endpointParsing() throws {
        let plain = try ProxyEndpoint(parsing: "proxy.example:3128")
        #expect(plain.kind == .http && plain.host == "proxy.example" && plain.port == 3128)
        let withCredentials = try ProxyEndpoint(parsing: "http://user:pa%20ss@proxy.example/")
        #expect(withCredentials.port == 80)
        #expect(withCredentials.username == "user")
        #expect(withCredentials.description == "http://proxy.example:80")
        let socks = try ProxyEndpoint(parsing: "socks5h://127.0.0.1")
        #expect(socks.kind == .socks5 && socks.port == 1080)
        for bad in ["https://proxy.example", "ftp://proxy.example", "http://proxy.example/path", "http://"] {
            let error = #expect(throws: ATProtoHTTPError.self) { try ProxyEndpoint(parsing: bad) }
            #expect(error?.code == .proxy)
        }
    }

    @Test("Error URLs drop credentials, query and fragment")
    func redaction() throws {
        let url = try #require(URL(string: "https://u:p@pds.example:8443/oauth/callback?code=SECRET#frag"))
        #expect(url.redactedForDisplay == "https://pds.example:8443/oauth/callback")
    }
}
