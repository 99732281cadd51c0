/// Problems with a cluster's topology file or a site's key folder, all found in one pass.
///
/// Each problem names the file it is in and the site it concerns, and says what to do, so an operator can
/// fix every one of them before running the check again.
public struct TopologyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// One thing wrong, in one file, for one site (or for the file as a whole).
    public struct Problem: Equatable, Sendable, CustomStringConvertible {
        /// The file the problem is in: the topology file, a public-key file or a key file.
        public let path: String
        /// The site it concerns, as written for a person: `site WST`, or `[[sites]] entry 3` when the code
        /// itself is missing or bad; `nil` for the file as a whole.
        public let place: String?
        /// What is wrong and what to do about it.
        public let message: String

        public init(path: String, place: String?, message: String) {
            self.path = path
            self.place = place
            self.message = message
        }

        public var description: String {
            if let place { "\(path): \(place): \(message)" } else { "\(path): \(message)" }
        }
    }

    /// What could not be used, e.g. `the topology file Topology/sample-cluster.toml`.
    public let subject: String
    public let problems: [Problem]

    public init(subject: String, problems: [Problem]) {
        precondition(!problems.isEmpty, "a TopologyError needs at least one problem")
        self.subject = subject
        self.problems = problems
    }

    public var description: String {
        "\(subject) has \(problems.count == 1 ? "a problem" : "\(problems.count) problems"):\n"
            + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
