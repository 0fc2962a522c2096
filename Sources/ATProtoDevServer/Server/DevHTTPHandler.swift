import ATProtoLoopbackServer
import ATProtoOAuth
import Foundation

/// The HTTP edge of one part: turns loopback-server requests into `DevRequest`s, applies the
/// knobs (injected failures, latency), routes, and records the request log.
struct DevHTTPHandler: Sendable {
    let part: DevPart
    let state: DevState

    func handle(_ request: LoopbackHTTPRequest) async -> LoopbackHTTPResponse {
        let devRequest = Self.devRequest(from: request)
        let response: DevResponse
        switch await state.takeFailure(path: devRequest.path) {
        case .hang?:
            // Hold the connection until the client gives up or the network stops.
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(1)) }
            response = .xrpcError(503, "Unavailable", "dev network stopped while hanging")
        case .status500?:
            response = .xrpcError(500, "InternalServerError", "injected failure")
        case nil:
            response = await state.route(devRequest, at: part)
        }
        let latency = await state.latency
        if latency > .zero { try? await Task.sleep(for: latency) }
        let jkt = devRequest.header("dpop").flatMap { try? DPoPProof.verify($0).jkt }
        await state.record(
            DevRequestLogEntry(
                time: await state.now(), origin: await state.logOrigin(devRequest, at: part), method: devRequest.method,
                path: devRequest.path, status: response.status, dpopJKT: jkt))
        return LoopbackHTTPResponse(
            status: response.status, headers: response.headers.map { (name: $0.0, value: $0.1) }, body: response.body)
    }

    static func devRequest(from request: LoopbackHTTPRequest) -> DevRequest {
        var headers: [String: String] = [:]
        for (name, value) in request.headers {
            let key = name.lowercased()
            if let existing = headers[key] {
                headers[key] = existing + ", " + value
            } else {
                headers[key] = value
            }
        }
        return DevRequest(
            method: request.method.uppercased(), path: request.path, query: FormEncoding.decode(request.query ?? ""),
            headers: headers, body: request.body)
    }
}
