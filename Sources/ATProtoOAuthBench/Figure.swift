import Foundation

/// One measured figure: one line of the report, one object of `--json`.
///
/// Targets are printed next to the figure with PASS/FAIL, but the harness never exits
/// non-zero because of them: the figure is the point, and a shared CI machine is too noisy to
/// gate on (project rule: speed targets live in benchmarks, not in timed tests).
struct Figure: Sendable, Encodable {
    var name: String
    /// The headline value: a median when there are several samples.
    var value: Double
    var unit: String
    var min: Double?
    var max: Double?
    var samples: Int?
    /// The target as text, e.g. `< 450 ms (4.5 × 100 ms latency)`.
    var target: String?
    var pass: Bool?
    var note: String?

    init(
        _ name: String, _ value: Double, _ unit: String, min: Double? = nil, max: Double? = nil,
        samples: Int? = nil, target: String? = nil, pass: Bool? = nil, note: String? = nil
    ) {
        self.name = name
        self.value = value
        self.unit = unit
        self.min = min
        self.max = max
        self.samples = samples
        self.target = target
        self.pass = pass
        self.note = note
    }

    /// A figure from several samples: median as the value, with min, max and the count.
    init(
        _ name: String, _ samples: Samples, _ unit: String, target: String? = nil, pass: Bool? = nil,
        note: String? = nil
    ) {
        self.init(
            name, samples.median, unit, min: samples.min, max: samples.max, samples: samples.count,
            target: target, pass: pass, note: note)
    }

    /// `name  median 412.3 ms  (min 405.1, max 430.2, n=10)  target < 450 ms: PASS  — note`
    var line: String {
        var text = name + String(repeating: " ", count: Swift.max(36 - name.count, 1))
        let several = (samples ?? 0) > 1
        text += several ? "median " : ""
        text += "\(Self.format(value)) \(unit)"
        if let samples, samples > 1, let min, let max {
            text += "  (min \(Self.format(min)), max \(Self.format(max)), n=\(samples))"
        }
        if let target {
            text += "  target \(target)"
            if let pass { text += ": " + (pass ? "PASS" : "FAIL") }
        }
        if let note { text += "  — " + note }
        return text
    }

    static func format(_ value: Double) -> String {
        if value.rounded() == value, abs(value) < 1e15 { return String(Int(value)) }
        if abs(value) >= 100 { return String(format: "%.1f", value) }
        return String(format: "%.2f", value)
    }
}

/// Measurements of one quantity.
struct Samples: Sendable {
    private(set) var values: [Double] = []

    init(_ values: [Double] = []) { self.values = values }

    mutating func add(_ value: Double) { values.append(value) }

    var count: Int { values.count }
    var min: Double { values.min() ?? 0 }
    var max: Double { values.max() ?? 0 }
    var median: Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

extension Duration {
    var milliseconds: Double { Double(components.seconds) * 1e3 + Double(components.attoseconds) / 1e15 }
    var microseconds: Double { Double(components.seconds) * 1e6 + Double(components.attoseconds) / 1e12 }
}

/// Progress goes to standard error so standard output stays the report.
func progress(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
