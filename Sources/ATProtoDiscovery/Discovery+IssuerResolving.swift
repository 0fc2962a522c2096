import ATProtoOAuth

/// Discovery answers the R21 re-check a refresh makes: which issuer speaks for a DID now.
extension Discovery: IssuerResolving {}
