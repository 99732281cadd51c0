/// Synthetic callers, places and words for generated calls: common enough to look real, invented as a whole.
enum Names {
    /// About 300 surnames common in England and London, most frequent first (approximate order).
    ///
    /// Drawn with weight 1/rank^0.6: that gives the first (Smith) about 4% of callers and the last about 0.15%, close
    /// to the spread of real names within such a list (Smith ≈ 1.1% of the population, rank 300 ≈ 0.035%).
    static let surnames: [String] = [
        "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson", "Roberts",
        "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall", "Lewis", "Harris",
        "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill", "Ward", "Morris", "Moore", "Clark",
        "Lee", "King", "Baker", "Harrison", "Morgan", "Allen", "James", "Scott", "Phillips", "Watson", "Davis",
        "Parker", "Price", "Bennett", "Young", "Griffiths", "Mitchell", "Kelly", "Cook", "Carter", "Richardson",
        "Bailey", "Collins", "Bell", "Shaw", "Murphy", "Miller", "Cox", "Richards", "Khan", "Marshall", "Anderson",
        "Simpson", "Ellis", "Adams", "Singh", "Begum", "Wilkinson", "Foster", "Chapman", "Powell", "Webb", "Rogers",
        "Gray", "Mason", "Ali", "Hunt", "Hussain", "Campbell", "Matthews", "Owen", "Palmer", "Holmes", "Mills",
        "Barnes", "Knight", "Lloyd", "Butler", "Russell", "Barker", "Fisher", "Stevens", "Jenkins", "Murray", "Dixon",
        "Harvey", "Graham", "Pearson", "Ahmed", "Fletcher", "Walsh", "Kaur", "Gibson", "Howard", "Andrews", "Stewart",
        "Elliott", "Reynolds", "Saunders", "Payne", "Fox", "Ford", "Pearce", "Day", "Brooks", "West", "Lawrence",
        "Cole", "Atkinson", "Bradley", "Spencer", "Gill", "Dawson", "Ball", "Burton", "O'Brien", "Watts", "Rose",
        "Booth", "Perry", "Ryan", "Grant", "Wells", "Armstrong", "Francis", "Rees", "Hayes", "Hart", "Hudson", "Newman",
        "Barrett", "Webster", "Hunter", "Gregory", "Carr", "Lowe", "Page", "Marsh", "Riley", "Dunn", "Woods", "Parsons",
        "Berry", "Stone", "Reid", "Holland", "Hawkins", "Harding", "Porter", "Robertson", "Newton", "Oliver", "Reed",
        "Kennedy", "Williamson", "Bird", "Gardner", "Shah", "Dean", "Lane", "Cooke", "Bates", "Henderson", "Parry",
        "Burgess", "Bishop", "Walton", "Burns", "Nicholson", "Shepherd", "Ross", "Cross", "Long", "Freeman", "Warren",
        "Nicholls", "Hamilton", "Byrne", "Sutton", "McDonald", "Yates", "Hodgson", "Robson", "Curtis", "Hopkins",
        "O'Connor", "Harper", "Coleman", "Watkins", "Moss", "McCarthy", "Chambers", "O'Neill", "Griffin", "Sharp",
        "Hardy", "Wheeler", "Potter", "Osborne", "Johnston", "Gordon", "Doyle", "Wallace", "George", "Jordan",
        "Hutchinson", "Rowe", "Burke", "May", "Pritchard", "Gilbert", "Willis", "Higgins", "Read", "Miles", "Stevenson",
        "Stephenson", "Hammond", "Arnold", "Buckley", "Walters", "Hewitt", "Barber", "Nelson", "Slater", "Austin",
        "Sullivan", "Whitehead", "Mann", "Frost", "Lambert", "Stephens", "Blake", "Akhtar", "Lynch", "Goodwin",
        "Barton", "Woodward", "Thomson", "Cunningham", "Quinn", "Barnett", "Baxter", "Bibi", "Clayton", "Nash",
        "Greenwood", "Jennings", "Holt", "Kemp", "Poole", "Gallagher", "Bond", "Stokes", "Tucker", "Davidson", "Fowler",
        "Heath", "Norman", "Middleton", "Lawson", "Banks", "French", "Stanley", "Jarvis", "Gibbs", "Ferguson",
        "Hayward", "Carroll", "Farmer", "Dennis", "Bryant", "Doherty", "Hyde", "Lord", "Sanderson", "Iqbal",
        "Chowdhury", "Rahman", "Okafor", "Mensah", "Nowak", "Kowalski", "Adeyemi", "Oyelaran", "Wozniak",
        "Papadopoulos", "Fitzgerald", "Greaves", "Pemberton", "Ashworth", "Whitfield", "Thistlethwaite",
        "Featherstonehaugh", "Quartermaine",
    ]

    /// About 100 first names, drawn uniformly.
    static let firstNames: [String] = [
        "Mohammed", "Oliver", "Jack", "Harry", "George", "Noah", "Leo", "Arthur", "Oscar", "Charlie", "Jacob", "Thomas",
        "James", "William", "Henry", "Alfie", "Joshua", "Freddie", "Archie", "Daniel", "David", "John", "Michael",
        "Paul", "Peter", "Robert", "Richard", "Mark", "Andrew", "Stephen", "Christopher", "Anthony", "Kevin", "Gary",
        "Ian", "Simon", "Matthew", "Ryan", "Adam", "Sean", "Ahmed", "Hassan", "Ravi", "Sanjay", "Tomasz", "Piotr",
        "Kwame", "Femi", "Darren", "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Rosie",
        "Sophia", "Grace", "Freya", "Emily", "Poppy", "Ella", "Evie", "Sarah", "Emma", "Laura", "Rebecca", "Claire",
        "Michelle", "Nicola", "Helen", "Karen", "Susan", "Julie", "Jane", "Margaret", "Patricia", "Elizabeth", "Mary",
        "Linda", "Barbara", "Jennifer", "Joanne", "Lisa", "Rachel", "Hannah", "Jessica", "Chloe", "Charlotte", "Sophie",
        "Lucy", "Amy", "Priya", "Fatima", "Aisha", "Zainab", "Anna", "Agnieszka", "Chiamaka", "Ngozi", "Deborah",
        "Shirley", "Maureen",
    ]

    /// What callers say, as a handler would summarise it in the details.
    static let details: [String] = [
        "Caller reports the problem started about an hour ago and is getting worse.",
        "Neighbour called on behalf of an elderly resident who is at home alone.",
        "Caller has reported this before and is unhappy nothing has been done.",
        "Caller is at the location now and can wait for the officer.",
        "Caller will not give their address and asked for a call back.",
        "Caller says several households are affected.",
        "Caller has young children in the property.",
        "Caller advised to ring 999 if anyone is in danger; no one is at present.",
        "Caller asked for the reference number and wrote it down.",
        "Caller says the same thing happened last weekend.",
        "Caller is a tenant and gave the landlord's name.",
        "Caller unsure of the exact location; described nearby landmarks.",
    ]

    /// Words for short free-text answers (vehicle, building, item descriptions).
    static let answerWords: [String] = [
        "blue", "silver", "black", "red", "white", "Ford", "Vauxhall", "Toyota", "van", "hatchback", "main",
        "entrance", "rear", "door", "stairwell", "block", "car park", "garage", "ground floor", "second floor",
        "communal", "hallway", "side", "gate", "bin store",
    ]
}
