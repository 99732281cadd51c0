import Foundation
import NightdeskTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Sites' state and capacity in heartbeats, and announcements reaching every site (7.1.7, 7.1.10, 5.1.3, 8.1),
/// with each site a separate `nightdesk node run` process on 127.0.0.1.
@Suite(.serialized) struct SiteClusterTests {
    /// "Within a few seconds": heartbeats go every second, change sets within a tick of being written.
    static let fewSeconds = 10.0
    /// 5.1.3 allows 15 minutes from request to live; a healthy cluster on one machine takes well under this.
    static let liveAfterMsMax: Int64 = 5_000

    @Test func handlersSignedInAtOneSiteAreItsCapacityAtTheOthersAndDrainingIsSeenEverywhere() async throws {
        let cluster = try TestCluster(["WST", "EST", "NTH"])
        for code in ["WST", "EST", "NTH"] { try cluster.start(code) }
        try cluster.succeed("WST", ["handler", "signin", "--handler", "wst-akhan", "--name", "Asha Khan", "--trained", "EAL,ENF"])
        try cluster.succeed("WST", ["handler", "signin", "--handler", "wst-bjones", "--name", "Ben Jones", "--trained", "EAL"])
        let expected = SiteStatusJSON.Capacity(
            handlersSignedIn: 2, trainedByOrganisation: ["EAL": 2, "ENF": 1], callsInProgress: 0)
        for code in ["EST", "NTH"] {
            #expect(
                try await cluster.eventually(seconds: Self.fewSeconds) {
                    try cluster.siteStatus(code)?.peer("WST")?.capacity == expected
                }, "\(code): \(String(describing: try? cluster.siteStatus(code)?.peer("WST")?.capacity))")
        }
        #expect(try cluster.siteStatus("WST")?.capacity == expected)
        // The sign-in itself is replicated: every site lists the handlers at West.
        #expect(
            try await cluster.eventually(seconds: Self.fewSeconds) {
                try cluster.run("NTH", ["handler", "list", "--at", "WST"]).stdout.contains("wst-bjones")
            })
        let text = try cluster.succeed("EST", ["node", "status"]).stdout
        #expect(text.contains("2 handlers (EAL 2, ENF 1)"), "\(text)")

        // Signing out is seen too.
        try cluster.succeed("WST", ["handler", "signout", "--handler", "wst-akhan"])
        #expect(
            try await cluster.eventually(seconds: Self.fewSeconds) {
                try cluster.siteStatus("NTH")?.peer("WST")?.capacity?.trainedByOrganisation == ["EAL": 1]
            })

        #expect(try cluster.succeed("WST", ["site", "state"]).stdout.contains("site WST is up"))
        try cluster.succeed("WST", ["site", "state", "--set", "draining"])
        for code in ["EST", "NTH"] {
            #expect(
                try await cluster.eventually(seconds: Self.fewSeconds) {
                    try cluster.siteStatus(code)?.peer("WST")?.siteState == "draining"
                }, "\(cluster.log(code))")
        }
        #expect(try cluster.siteStatus("EST")?.peer("NTH")?.siteState == "up")
        #expect(try cluster.siteStatus("WST")?.siteState == "draining")
    }

    @Test func anAnnouncementDeployedAtOneSiteIsLiveAtEverySiteWithItsTimes() async throws {
        let cluster = try TestCluster(["WST", "EST", "NTH"])
        for code in ["WST", "EST", "NTH"] { try cluster.start(code) }
        // Wait for the links, so the time measured is replication, not the nodes starting.
        #expect(
            try await cluster.eventually(seconds: TestCluster.waitSecondsMax) {
                try ["WST", "EST", "NTH"].allSatisfy { code in
                    try cluster.status(code)?.peers.allSatisfy { $0.health == "connected" } ?? false
                }
            })
        let set = try cluster.succeed(
            "WST",
            [
                "announcement", "set", "--organisation", "EAL", "--text",
                "Flooding in West Ealing: crews are on their way, please only call if you are in danger.", "--json",
            ])
        let id = try decode(AnnouncementJSON.self, set.stdout).id
        var shown: AnnouncementJSON?
        #expect(
            try await cluster.eventually(seconds: Self.fewSeconds) {
                shown = try decode(AnnouncementJSON.self, cluster.succeed("WST", ["announcement", "show", id, "--json"]).stdout)
                return Set(shown?.live.map(\.site) ?? []) == ["WST", "EST", "NTH"]
            }, "\(String(describing: shown?.live.map(\.site)))")
        for live in shown?.live ?? [] {
            #expect(live.afterMs >= 0 && live.afterMs < Self.liveAfterMsMax, "\(live.site): \(live.afterMs) ms")
        }
        #expect(shown?.live.first { $0.site == "WST" }?.afterMs == 0)
        let text = try cluster.succeed("WST", ["announcement", "show", id]).stdout
        for code in ["WST", "EST", "NTH"] { #expect(text.contains("  \(code)  live "), "\(text)") }
        // Every site has it up, and clearing it is a version that reaches every site too.
        for code in ["EST", "NTH"] {
            #expect(try cluster.succeed(code, ["announcement", "list"]).stdout.contains(id))
        }
        let cleared = try decode(
            AnnouncementJSON.self,
            cluster.succeed("EST", ["announcement", "clear", "--organisation", "EAL", "--json"]).stdout)
        #expect(
            try await cluster.eventually(seconds: Self.fewSeconds) {
                let live = try decode(
                    AnnouncementJSON.self, cluster.succeed("EST", ["announcement", "show", cleared.id, "--json"]).stdout
                ).live
                return Set(live.map(\.site)) == ["WST", "EST", "NTH"]
            })
        #expect(try cluster.succeed("NTH", ["announcement", "list"]).stdout.contains("No announcements are up."))
    }

    @Test func badSignInsAndAnnouncementsAreRefusedWithAReasonAndAnExitCode() throws {
        let cluster = try TestCluster(["WST"])
        let cases: [([String], Int32, String)] = [
            (["handler", "signin", "--handler", "wst-akhan", "--name", "A", "--trained", "XYZ"], 65, "'XYZ', which is not an organisation"),
            (["handler", "signin", "--handler", "wst-akhan", "--name", "A", "--trained", ","], 65, "--trained lists no organisation"),
            (["handler", "signin", "--handler", "Asha Khan", "--name", "A", "--trained", "EAL"], 65, "handler id"),
            (["handler", "signout", "--handler", "wst-nobody"], 66, "no handler wst-nobody"),
            (["site", "state", "--set", "evacuated"], 65, "give up or draining"),
            (["announcement", "set", "--organisation", "XYZ", "--text", "T"], 65, "not an organisation"),
            (["announcement", "set", "--organisation", "EAL", "--option", "potholes", "--text", "T"], 65, "operates no Service Option"),
            (["announcement", "set", "--organisation", "EAL", "--text", String(repeating: "a", count: 601)], 65, "over the limit of 600"),
            (["announcement", "set", "--organisation", "EAL", "--text", "T", "--until", "2020-01-01T00:00:00Z"], 65, "not in the future"),
            (["announcement", "show", "WST-999"], 66, "no announcement version WST-999"),
        ]
        let before = try cluster.digest("WST")
        for (arguments, status, message) in cases {
            let result = try cluster.run("WST", arguments)
            #expect(result.status == status && result.stderr.contains(message), "\(result)")
        }
        #expect(try cluster.digest("WST") == before)
        #expect(try cluster.succeed("WST", ["site", "state"]).stdout.contains("is up"))
    }
}
