import Foundation

/// `atproto-oauth-bench`: the speed and memory figures of issues 4 and 6, printed one line per
/// figure (or as JSON). Build it in release mode; debug figures are not representative.
///
///     swift build -c release --product atproto-oauth-bench
///     .build/release/atproto-oauth-bench [--json] [--runs N] [--only discovery,login,tui,dpop]
///     .build/release/atproto-oauth-bench make-store DIR N
///     .build/release/atproto-oauth-bench fleet-refresh --store postgres://… [--accounts N] [--processes P]
///                                        [--jobs J] [--latency-ms MS] [--json]
///
/// Targets are shown with PASS/FAIL, but the exit status only reports whether the benchmarks
/// could run (0) or not (1), or a usage error (2).
let usage = """
    usage: atproto-oauth-bench [--json] [--runs N] [--only discovery,login,tui,dpop]
           atproto-oauth-bench make-store DIR N
           atproto-oauth-bench fleet-refresh --store postgres://… [--accounts N] [--processes P]
                                             [--jobs J] [--latency-ms MS] [--json]
    """

enum Section: String, CaseIterable {
    case discovery, login, tui, dpop
}

struct Options {
    var json = false
    var runs = 10
    var sections = Section.allCases

    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--json": json = true
            case "--runs":
                guard let value = rest.popFirst().flatMap({ Int($0) }), value > 0 else {
                    throw BenchError("--runs needs a positive number")
                }
                runs = value
            case "--only":
                guard let value = rest.popFirst() else { throw BenchError("--only needs a list") }
                sections = try value.split(separator: ",").map { name in
                    guard let section = Section(rawValue: String(name)) else {
                        throw BenchError("unknown section \(name); known: discovery, login, tui, dpop")
                    }
                    return section
                }
            default: throw BenchError("unknown argument \(argument)")
            }
        }
    }
}

/// `fleet-refresh`: issue 12's figure, its own run because it needs a PostgreSQL database.
func fleetRefresh(_ arguments: [String]) async throws {
    let options: FleetRefreshBench.Options
    do {
        options = try FleetRefreshBench.Options(arguments)
    } catch {
        progress("atproto-oauth-bench: \(error)\n\(usage)")
        exit(2)
    }
    try report(try await FleetRefreshBench.run(options), json: options.json)
}

struct Report: Encodable {
    var build: String
    var cores: Int
    var date: String
    var figures: [Figure]
}

func runBenchmarks(_ options: Options) async throws {
    var figures: [Figure] = []
    for section in options.sections {
        switch section {
        case .discovery: figures += try await DiscoveryBench.run(runs: options.runs)
        case .login: figures += try await LoginBench.run(logins: max(options.runs / 2, 1), refreshes: options.runs)
        case .tui: figures += try TUIModelBench.run(frames: max(options.runs, 10) * 200)
        case .dpop: figures += try DPoPBench.run(seconds: 3)
        }
    }
    try report(figures, json: options.json)
}

/// Prints the figures, one line each or as one JSON document.
func report(_ figures: [Figure], json: Bool) throws {
    #if DEBUG
        let build = "debug"
        progress("warning: a debug build; build with -c release for representative figures")
    #else
        let build = "release"
    #endif
    let report = Report(
        build: build, cores: ProcessInfo.processInfo.activeProcessorCount,
        date: ISO8601DateFormatter().string(from: Date()), figures: figures)
    if json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
    } else {
        print("atproto-oauth-bench (\(build) build, \(report.cores) cores, \(report.date))")
        for figure in figures { print(figure.line) }
    }
}

func makeStore(_ arguments: [String]) throws {
    guard arguments.count == 2, let count = Int(arguments[1]), count >= 0 else {
        throw BenchError("make-store needs DIR and a count")
    }
    let directory = URL(fileURLWithPath: arguments[0], isDirectory: true)
    let start = ContinuousClock.now
    _ = try StoreMaker.make(directory: directory, count: count, now: Date())
    let elapsed = (ContinuousClock.now - start).milliseconds
    progress("wrote \(count) sessions to \(directory.path) in \(Figure.format(elapsed)) ms")
}

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    if arguments.first == "make-store" {
        try makeStore(Array(arguments.dropFirst()))
    } else if arguments.first == "fleet-refresh" {
        try await fleetRefresh(Array(arguments.dropFirst()))
    } else if arguments.first == "--help" || arguments.first == "-h" {
        print(usage)
    } else {
        let options: Options
        do {
            options = try Options(arguments)
        } catch {
            progress("atproto-oauth-bench: \(error)\n\(usage)")
            exit(2)
        }
        try await runBenchmarks(options)
    }
} catch {
    progress("atproto-oauth-bench: \(error)")
    exit(1)
}
