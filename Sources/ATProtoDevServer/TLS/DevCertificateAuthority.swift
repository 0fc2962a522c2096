import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// The TLS mode's throwaway certificate authority: a P-256 CA made when the network starts,
/// and one server certificate it signs whose subject alternative names are every host name
/// of the network (parts and handles), so one TLS context serves every tunnel.
///
/// Nothing is reused across runs and the CA key never leaves memory: a CA that some test
/// machine once trusted cannot vouch for anything after its network stops. Only the CA
/// certificate is written to disk (``writeCertificate(into:)``), for clients to trust.
struct DevCertificateAuthority {
    /// The CA certificate, PEM: what clients add to their trust roots.
    let certificatePEM: String
    /// The server context every proxied tunnel terminates with.
    let serverContext: NIOSSLContext

    /// Makes a CA and a server certificate for `hosts`, valid from an hour before `now` (so a
    /// client clock slightly behind still accepts it) for seven days.
    init(hosts: [String], now: Date = Date()) throws {
        let notBefore = now.addingTimeInterval(-3600)
        let notAfter = now.addingTimeInterval(7 * 24 * 3600)
        let caKey = P256.Signing.PrivateKey()
        let caPublicKey = Certificate.PublicKey(caKey.publicKey)
        let caName = try DistinguishedName {
            OrganizationName("atproto-oauth dev network")
            CommonName("atproto-oauth dev network throwaway CA")
        }
        let caKeyID = SubjectKeyIdentifier(hash: caPublicKey)
        let ca = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: caPublicKey,
            notValidBefore: notBefore, notValidAfter: notAfter, issuer: caName, subject: caName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                caKeyID
            },
            issuerPrivateKey: Certificate.PrivateKey(caKey))

        let serverKey = P256.Signing.PrivateKey()
        let serverPublicKey = Certificate.PublicKey(serverKey.publicKey)
        let serverName = try DistinguishedName {
            OrganizationName("atproto-oauth dev network")
            CommonName(DevHostNames.domain)
        }
        let server = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: serverPublicKey,
            notValidBefore: notBefore, notValidAfter: notAfter, issuer: caName, subject: serverName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(hosts.map { GeneralName.dnsName($0) })
                AuthorityKeyIdentifier(keyIdentifier: caKeyID.keyIdentifier)
                SubjectKeyIdentifier(hash: serverPublicKey)
            },
            issuerPrivateKey: Certificate.PrivateKey(caKey))

        certificatePEM = try ca.serializeAsPEM().pemString
        var serializer = DER.Serializer()
        try serializer.serialize(server)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: serializer.serializedBytes, format: .der))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(serverKey.derRepresentation), format: .der)))
        // HTTP/1.1 only: the tunnels end at HTTP/1.1 servers, and saying so spares clients
        // that offer h2 a failed negotiation.
        configuration.applicationProtocols = ["http/1.1"]
        configuration.minimumTLSVersion = .tlsv12
        serverContext = try NIOSSLContext(configuration: configuration)
    }

    /// Writes the CA certificate as `ca.pem` (0644: clients run as other users may read it)
    /// into `directory` and returns its path.
    func writeCertificate(into directory: URL) throws -> String {
        let file = directory.appendingPathComponent("ca.pem")
        try Data(certificatePEM.utf8).write(to: file, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)
        return file.path
    }
}
