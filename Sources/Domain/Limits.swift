/// Every maximum the domain enforces, in one place (STYLE.md: "put a limit on everything").
public enum DomainLimits {
    /// Longest caller name kept on a call.
    public static let callerNameCharactersMax = 200
    /// Longest free-text details a handler may record on one call.
    public static let callDetailsCharactersMax = 8_000
    /// Longest answer to a `string` question.
    public static let stringAnswerCharactersMax = 200
    /// Longest answer to a `text` question.
    public static let textAnswerCharactersMax = 4_000
    /// Longest note added to a call.
    public static let noteCharactersMax = 4_000
    /// Longest incident address written as free text.
    public static let addressCharactersMax = 400
    /// Most questions one Service Option's script may ask.
    public static let questionsPerOptionMax = 50
    /// Most values one list question may offer.
    public static let listValuesMax = 100
    /// Largest UPRN: OS UPRNs are at most 12 digits.
    public static let uprnMax: Int64 = 999_999_999_999
    /// Digits of a call serial number after the site code (31^6 ≈ 887 million calls per site).
    public static let referenceSerialDigits = 6
    /// Default radius for possible-duplicate offers, as FixMyStreet uses (5.2.7).
    public static let duplicateRadiusMetresDefault = 250.0
    /// Default look-back window for possible duplicates (5.2.7): three nights.
    public static let duplicateWindowSecondsDefault: Double = 72 * 3600
    /// Most possible duplicates offered to a handler at once.
    public static let duplicateOffersMax = 10
    /// Default time allowed to pass on a referral (6.4b).
    public static let referralLimitMinutesDefault = 10
}
