import ArgumentParser
import Foundation

/// The configuration knobs every entry point shares (DESIGN.md, "Configuration knobs").
struct GlobalOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Account store: a directory, or a postgres:// URL for the shared PostgreSQL store.",
            discussion:
                "Default: $ATPROTO_OAUTH_STORE, else $ATPROTO_OAUTH_HOME, else $XDG_STATE_HOME/atproto-oauth."))
    var store: String?

    @Option(
        name: .customLong("store-key-file"),
        help: "The PostgreSQL store's encryption key file (0600; default: $ATPROTO_OAUTH_STORE_KEY).")
    var storeKeyFile: String?

    @Option(
        name: .customLong("client-id"),
        help: "Hosted client-metadata URL (https). Default: the localhost development client (R13).")
    var clientID: String?

    @Option(help: "OAuth scope to request.")
    var scope: String = "atproto transition:generic"

    @Option(name: .customLong("plc-url"), help: "PLC directory for did:plc documents.")
    var plcURL: String = "https://plc.directory"

    @Option(
        name: .customLong("handle-resolver"),
        help: "Resolve handles with this XRPC service (com.atproto.identity.resolveHandle) instead of DNS + HTTPS.")
    var handleResolver: String?

    @Option(name: .customLong("dns-server"), help: "Nameserver for handle TXT look-ups, HOST[:PORT] (IPv4).")
    var dnsServer: String?

    @Option(name: .customLong("ca-file"), help: "Extra PEM trust roots (default: $SSL_CERT_FILE when set).")
    var caFile: String?

    @Option(help: "Per-request timeout in seconds.")
    var timeout: Double = 10

    @Flag(
        name: .customLong("allow-http-loopback"),
        help: "Development only: permit plain http to 127.0.0.1/[::1]/localhost origins.")
    var allowHTTPLoopback = false

    @Flag(help: "Print each request and step to stderr (secrets are never printed).")
    var verbose = false

    func validate() throws {
        guard timeout > 0, timeout <= 600 else {
            throw ValidationError("--timeout must be between 0 and 600 seconds, got \(timeout)")
        }
    }
}
