import Domain

/// Handlers on shift at each site, by hour of day, in teams trained for some or all organisations (2.1.10).
///
/// Codable so a schedule can be read from a JSON file:
/// `{"sites":[{"site":"WST","teams":[{"skills":["ENF"],"weekday":[24 counts],"weekend":[24 counts]}]}]}`;
/// a team without `skills` is trained for every organisation.
public struct StaffingSchedule: Codable, Sendable, Equatable {
    public struct Team: Codable, Sendable, Equatable {
        /// Organisation codes the team is trained for; `nil` for all.
        public var skills: [String]?
        /// Handlers on shift in each hour of a weekday and a weekend day, hour 0 first.
        public var weekday: [Int]
        public var weekend: [Int]

        public init(skills: [String]? = nil, weekday: [Int], weekend: [Int]) {
            self.skills = skills
            self.weekday = weekday
            self.weekend = weekend
        }
    }

    public struct Site: Codable, Sendable, Equatable {
        public var site: String
        public var teams: [Team]

        public init(site: String, teams: [Team]) {
            self.site = site
            self.teams = teams
        }
    }

    public var sites: [Site]

    public init(sites: [Site]) {
        self.sites = sites
    }

    /// Every count multiplied by `percent` / 100, rounded to the nearest handler (half up).
    public func scaled(percent: Int) -> StaffingSchedule {
        func scale(_ counts: [Int]) -> [Int] { counts.map { ($0 * percent + 50) / 100 } }
        return StaffingSchedule(
            sites: sites.map { site in
                Site(
                    site: site.site,
                    teams: site.teams.map {
                        Team(skills: $0.skills, weekday: scale($0.weekday), weekend: scale($0.weekend))
                    })
            })
    }

    /// Handlers on shift over all sites and teams at one hour.
    public func handlers(weekend: Bool, hour: Int) -> Int {
        sites.reduce(0) { total, site in
            total + site.teams.reduce(0) { $0 + (weekend ? $1.weekend : $1.weekday)[hour] }
        }
    }

    /// Checks the schedule against the limits and the profile's organisations; returns the site codes.
    func validated(for profile: TrafficProfile) throws -> [SiteCode] {
        guard !sites.isEmpty else {
            throw DrillError(.invalidStaffing, "the staffing schedule lists no site: add at least one")
        }
        guard sites.count <= DrillLimits.sitesMax else {
            throw DrillError(.invalidStaffing, "\(sites.count) sites is too many: at most \(DrillLimits.sitesMax)")
        }
        var codes: [SiteCode] = []
        for site in sites {
            let code: SiteCode
            do { code = try SiteCode(site.site) } catch let error as DomainError {
                throw DrillError(.invalidStaffing, "staffing: \(error.message)")
            }
            guard !codes.contains(code) else {
                throw DrillError(.invalidStaffing, "staffing lists site \(code) twice: merge its teams into one entry")
            }
            codes.append(code)
            guard (1...DrillLimits.teamsPerSiteMax).contains(site.teams.count) else {
                throw DrillError(
                    .invalidStaffing,
                    "site \(code) has \(site.teams.count) teams: give 1 to \(DrillLimits.teamsPerSiteMax)")
            }
            for team in site.teams {
                for (name, counts) in [("weekday", team.weekday), ("weekend", team.weekend)] {
                    guard counts.count == 24 else {
                        throw DrillError(
                            .invalidStaffing,
                            "site \(code): \(name) has \(counts.count) counts: give 24, one per hour from 00:00")
                    }
                    if let bad = counts.first(where: { !(0...DrillLimits.handlersPerTeamMax).contains($0) }) {
                        throw DrillError(
                            .invalidStaffing,
                            "site \(code): \(bad) handlers in an hour is not valid: "
                                + "give 0 to \(DrillLimits.handlersPerTeamMax)"
                        )
                    }
                }
                for skill in team.skills ?? [] {
                    let organisation: OrganisationCode
                    do { organisation = try OrganisationCode(skill) } catch let error as DomainError {
                        throw DrillError(.invalidStaffing, "site \(code) skills: \(error.message)")
                    }
                    guard profile.index(of: organisation) != nil else {
                        throw DrillError(
                            .invalidStaffing,
                            "site \(code): skill \(organisation) is not an organisation of the traffic profile")
                    }
                }
                if let skills = team.skills, skills.isEmpty {
                    throw DrillError(
                        .invalidStaffing, "site \(code): a team with an empty skills list can take no call: drop it")
                }
            }
        }
        return codes
    }
}

extension StaffingSchedule {
    /// Handlers on shift across the whole shared service in each hour of a weekday and of a weekend day.
    ///
    /// The specification publishes no staffing figure (11.7.9 asks for FTE counts monthly; none are given), so this
    /// is fitted: counts shaped to the hourly offered load of `TrafficProfile.specification` (about 3.6 Erlangs per
    /// unit of hourly weight, so ~9.3 at the weekday 17:00 peak and ~1.1 at 3 a.m.), with the peak staffed to the
    /// Gold standard and the small night teams below it, then adjusted a handler at a time until a simulated year
    /// reproduced Enfield's 12-month row (Appendix 2). PROFILE.md gives the search and the figures it reached.
    public static let incumbentWeekday = [
        3, 2, 2, 2, 2, 2, 3, 4,  // 00–08: night
        0, 0, 0, 0, 0, 0, 0, 0, 0,  // 08–17: closed, the councils' day services answer (2.1.5)
        13, 12, 11, 9,  // 17–21: the evening peak (2.1.5)
        6, 5, 4,  // 21–24
    ]
    public static let incumbentWeekend = [
        3, 3, 2, 2, 2, 2, 3, 4,  // 00–08
        5, 5, 5, 6, 6, 6, 6, 6, 6,  // 08–17
        8, 8, 7, 6,  // 17–21
        6, 5, 4,  // 21–24
    ]

    /// The incumbent's handlers at one call centre (`WST`), every handler trained for every organisation.
    public static let incumbent = StaffingSchedule(sites: [
        Site(site: "WST", teams: [Team(weekday: incumbentWeekday, weekend: incumbentWeekend)])
    ])

    /// The same handlers shared over several sites, as evenly as whole handlers allow (earlier sites get the
    /// odd ones), each site with its own queue: the starting point for drills that fail a site.
    public func split(over sites: [String]) -> StaffingSchedule {
        guard !sites.isEmpty else { return self }
        let count = sites.count
        func share(_ counts: [Int], _ index: Int) -> [Int] {
            counts.map { $0 / count + (index < $0 % count ? 1 : 0) }
        }
        var merged = Team(weekday: Array(repeating: 0, count: 24), weekend: Array(repeating: 0, count: 24))
        for team in self.sites.flatMap(\.teams) where team.weekday.count == 24 && team.weekend.count == 24 {
            for hour in 0..<24 {
                merged.weekday[hour] += team.weekday[hour]
                merged.weekend[hour] += team.weekend[hour]
            }
        }
        return StaffingSchedule(
            sites: sites.enumerated().map { index, code in
                Site(
                    site: code,
                    teams: [Team(weekday: share(merged.weekday, index), weekend: share(merged.weekend, index))])
            })
    }
}
