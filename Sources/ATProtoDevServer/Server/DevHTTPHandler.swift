import ATProtoOAuth
import FlyingFox
import Foundation

/// The FlyingFox edge of one part: turns FlyingFox requests into `DevRequest`s, applies the
/// knobs (injected failures, latency), routes, and records the request log.
struct DevHTTPHandler: FlyingFox.HTTPHandler {
    let part: DevPart
    let state: DevState

    func handleRequest(_ request: FlyingFox.HTTPRequest) async throws -> FlyingFox.HTTPResponse {
        let devRequest = try await Self.devRequest(from: request)
        let response: DevResponse
        switch await state.takeFailure() {
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
        return Self.flyingFoxResponse(response)
    }

    static func devRequest(from request: FlyingFox.HTTPRequest) async throws -> DevRequest {
        var headers: [String: String] = [:]
        for (name, value) in request.headers {
            let key = name.rawValue.lowercased()
            if let existing = headers[key] {
                headers[key] = existing + ", " + value
            } else {
                headers[key] = value
            }
        }
        let body = try await request.bodyData
        return DevRequest(
            method: request.method.rawValue.uppercased(), path: request.target.path(percentEncoded: true),
            query: FormEncoding.decode(request.target.query(percentEncoded: true)), headers: headers, body: body)
    }

    static func flyingFoxResponse(_ response: DevResponse) -> FlyingFox.HTTPResponse {
        var headers = HTTPHeaders()
        for (name, value) in response.headers {
            headers.addValue(value, for: HTTPHeader(name))
        }
        return FlyingFox.HTTPResponse(
            statusCode: HTTPStatusCode(response.status, phrase: phrase(response.status)), headers: headers,
            body: response.body)
    }

    private static func phrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 302: "Found"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}
