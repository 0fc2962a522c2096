// Logs in to an ATProto account with the library alone and prints `com.atproto.server.getSession`.
//
//     swift run GetSession alice.bsky.social
//     swift run GetSession alice.test --plc-url http://127.0.0.1:… --handle-resolver http://127.0.0.1:… \
//         --dns-server 127.0.0.1:… --allow-http-loopback        # the flags `atproto-oauth dev-server` prints
import ATProtoDiscovery
import ATProtoHTTP
import ATProtoOAuth
import ATProtoOAuthClient
import Foundation

var arguments = Array(CommandLine.arguments.dropFirst())
@MainActor func option(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    defer { arguments.removeSubrange(index...index + 1) }
    return arguments[index + 1]
}
let plcURL = URL(string: option("--plc-url") ?? "https://plc.directory")
let handleResolver = option("--handle-resolver").flatMap(URL.init(string:))
let dnsServer = option("--dns-server")
let allowHTTPLoopback = arguments.contains("--allow-http-loopback")
arguments.removeAll { $0 == "--allow-http-loopback" }
guard arguments.count == 1, let input = arguments.first, let plcURL else {
    let usage =
        "usage: GetSession <handle|did|url> [--plc-url URL] [--handle-resolver URL]\n"
        + "                  [--dns-server HOST[:PORT]] [--allow-http-loopback]\n"
    FileHandle.standardError.write(Data(usage.utf8))
    exit(2)
}

let txtResolver = try ResolvTXTResolver(nameserver: dnsServer)
let transport = try HTTPClientTransport(configuration: .init(allowHTTPLoopback: allowHTTPLoopback))
let client = OAuthClient(
    configuration: OAuthClientConfiguration(
        discovery: DiscoveryConfiguration(
            plcDirectory: plcURL, handleResolver: handleResolver, allowHTTPLoopback: allowHTTPLoopback)),
    transport: transport, txtResolver: txtResolver,
    store: InMemorySessionStore())  // one run only; `AccountStore` keeps sessions on disk
var status: Int32 = 0
do {
    let session = try await client.login(input) { event in
        if case .authorizationURL(let url) = event {  // the browser may not start: show the URL
            FileHandle.standardError.write(Data("Open \(url)\n".utf8))
        }
    }
    let response = try await client.xrpc(session.did, "com.atproto.server.getSession")
    print(String(decoding: response.body, as: UTF8.self))
    if response.status != 200 { status = 1 }
    _ = try await client.logout(session.did)  // revoke the grant: this store forgets it anyway
} catch {
    FileHandle.standardError.write(Data("GetSession: \(error)\n".utf8))
    status = 1
}
try await transport.shutdown()
exit(status)
