import Domain

// The traffic of today's shared service as the specification describes it. Every figure names its source;
// `PROFILE.md` beside this file explains each one and what is assumed where the specification is silent.

extension TrafficProfile {
    /// 2.1.9: "The total annual volume of Out of Hours calls received is currently approximately 350,000".
    public static let specificationCallsPerYear = 350_000.0

    /// Appendix 2, Enfield, "Data for 12 months" (24 Feb 2015 – 24 Feb 2016), Summary row "Gold".
    public enum Enfield {
        public static let offered = 29_154
        public static let answeredWithinSLAPercent = 80.37
        public static let abandonedPercent = 4.29
        public static let averageWaitSeconds = 15.0
        public static let maxWaitSeconds = 40 * 60 + 18.0
        public static let talkSeconds = 3 * 60 + 46.0
        public static let wrapSeconds = 7.0
        public static let abandonedUnder20Seconds = 793
        public static let abandoned20SecondsOrMore = 458
    }

    /// Appendix 2, RBKC "Call and SLA Summary" (1 Apr 2015 – 31 Mar 2016), Summary row "GOLD".
    public enum Kensington {
        public static let offered = 25_609
        public static let answeredWithinSLAPercent = 70.19
        public static let abandonedPercent = 16.81
        public static let averageWaitSeconds = 13.0
        public static let talkSeconds = 3 * 60 + 30.0
        public static let wrapSeconds = 9.0
        public static let abandonedUnder20Seconds = 3_839
        public static let abandoned20SecondsOrMore = 465
    }

    /// Appendix 2, London Borough of Ealing: Gold and Silver calls by month, March 2015 – February 2016,
    /// rearranged here January first (January and February are 2016's, the rest 2015's).
    public enum Ealing {
        public static let goldByMonth: [Double] = [1446, 1205, 312, 210, 641, 810, 621, 591, 815, 793, 940, 1179]
        public static let silverByMonth: [Double] = [
            1827, 1659, 1706, 1060, 2284, 2225, 2682, 2467, 2064, 2088, 1888, 1179,
        ]
        /// "Top 5 service areas": Social Service 31%, Noise 25%, General info 17%, Parking 9%, Housing Repairs 6%.
        public static let topServiceAreas: [(code: String, share: Double)] = [
            ("social-services-emergencies", 0.31), ("noise-patrol", 0.25), ("general-information", 0.17),
            ("parking", 0.09), ("housing-repairs", 0.06),
        ]
    }

    /// Appendix 2, Tower Hamlets: "nearly 30,000 calls annually" (read as 29,500).
    public static let towerHamletsCallsPerYear = 29_500.0
    /// Appendix 2, Waltham Forest: "Call volumes from Jan 15 – Dec 15 21132".
    public static let walthamForestCallsPerYear = 21_132.0

    /// Appendix 2 Table 1, "TOTAL NUMBER of active services consumed", for the organisations the specification
    /// gives no call figures for: the rest of the 350,000 (2.1.9) is shared among them in proportion to these.
    public static let servicesConsumed: [(code: String, services: Double)] = [
        ("PEA", 16), ("HAV", 23), ("HGY", 25), ("HFH", 2), ("WAN", 8), ("BAR", 12),
    ]

    /// Gold's share of calls where the specification gives no split: the three organisations with figures taken
    /// together (Ealing 9,563 Gold of 32,692; Enfield 29,154 of 29,154; RBKC 25,609 of 25,609) — 64,326 of 87,455.
    public static let pooledGoldShare = 64_326.0 / 87_455.0

    /// 2.1.5: service 5 pm – 8 am on weekdays and all weekend, "especially high immediately daytime services
    /// finish at 5pm up to 9 p.m.". The specification gives no hourly figures: the weights are assumed (PROFILE.md).
    public static let specificationShape = try! HourlyShape(
        weekday: [
            0.45, 0.35, 0.3, 0.3, 0.3, 0.35, 0.55, 0.8,  // 00–08: night, rising towards morning
            0, 0, 0, 0, 0, 0, 0, 0, 0,  // 08–17: closed, the councils' own day services answer (2.1.5)
            2.6, 2.6, 2.2, 1.8,  // 17–21: the evening peak (2.1.5)
            1.3, 1.0, 0.7,  // 21–24
        ],
        weekend: [
            0.6, 0.45, 0.35, 0.3, 0.3, 0.3, 0.4, 0.55,  // 00–08
            0.8, 1.0, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.2,  // 08–17: open all day at weekends (2.1.5)
            1.6, 1.6, 1.5, 1.3,  // 17–21
            1.1, 0.9, 0.75,  // 21–24
        ])

    /// Patience calibrated so that, with `StaffingSchedule.incumbent`, Enfield's abandoned calls split as its
    /// table does (793 within 0–19 s, 458 after 20 s, of 29,154 offered).
    public static let enfieldPatience = try! CallerPatience(
        quickShare: 0.12, quickMeanSeconds: 10, patientMeanSeconds: 900)

    /// Patience for RBKC, whose table shows far more quick hang-ups (3,839 within 0–19 s, 465 after, of 25,609).
    public static let kensingtonPatience = try! CallerPatience(
        quickShare: 0.70, quickMeanSeconds: 8, patientMeanSeconds: 900)

    /// Talk and wrap where an organisation publishes none: Enfield's (CV 1.0 talk, 0.5 wrap — assumed).
    static let enfieldTalk = try! LognormalDuration(meanSeconds: Enfield.talkSeconds, coefficientOfVariation: 1.0)
    static let enfieldWrap = try! LognormalDuration(meanSeconds: Enfield.wrapSeconds, coefficientOfVariation: 0.5)

    /// Today's shared service as the specification's figures describe it (2.1.5, 2.1.9, Appendix 2).
    public static let specification: TrafficProfile = {
        func code(_ text: String) -> OrganisationCode { try! OrganisationCode(text) }
        func split(_ calls: Double) -> [ServiceStandard: Double] {
            [.gold: calls * pooledGoldShare, .silver: calls * (1 - pooledGoldShare)]
        }
        func traffic(_ text: String, _ calls: [ServiceStandard: Double]) -> OrganisationTraffic {
            try! OrganisationTraffic(
                organisation: code(text), callsPerYear: calls, talk: enfieldTalk, wrap: enfieldWrap,
                patience: enfieldPatience)
        }
        let ealing = try! OrganisationTraffic(
            organisation: code("EAL"), callsPerYear: [:],
            callsPerMonth: [.gold: Ealing.goldByMonth, .silver: Ealing.silverByMonth], talk: enfieldTalk,
            wrap: enfieldWrap, patience: enfieldPatience,
            optionMix: Ealing.topServiceAreas.map {
                OptionShare(option: try! ServiceOptionCode($0.code), share: $0.share)
            })
        let enfield = traffic("ENF", [.gold: Double(Enfield.offered)])
        let kensington = try! OrganisationTraffic(
            organisation: code("RBK"), callsPerYear: [.gold: Double(Kensington.offered)],
            talk: try! LognormalDuration(meanSeconds: Kensington.talkSeconds, coefficientOfVariation: 1.0),
            wrap: try! LognormalDuration(meanSeconds: Kensington.wrapSeconds, coefficientOfVariation: 0.5),
            patience: kensingtonPatience)
        let known: [OrganisationTraffic] = [
            ealing, enfield, kensington, traffic("TWH", split(towerHamletsCallsPerYear)),
            traffic("WFO", split(walthamForestCallsPerYear)),
        ]
        let rest = specificationCallsPerYear - known.reduce(0) { $0 + $1.totalCallsPerYear }
        let services = servicesConsumed.reduce(0) { $0 + $1.services }
        let others = servicesConsumed.map { traffic($0.code, split(rest * $0.services / services)) }
        return try! TrafficProfile(organisations: known + others, shape: specificationShape)
    }()
}
