import Replication

/// Every maximum the node's configuration files are held to (STYLE.md: "put a limit on everything").
public enum NodeLimits {
    // MARK: Topology file

    /// Most sites in one cluster: every site is an entry in every version vector.
    public static let topologySitesMax = ReplicationLimits.sitesMax
    /// Longest cluster id, in characters (printable ASCII, so also bytes).
    public static let clusterIDCharactersMax = 64
    /// Longest readable site name, in characters.
    public static let siteNameCharactersMax = 120
    /// Longest sync endpoint, in characters; ZeroMQ's own limit on an endpoint string is of this order.
    public static let endpointCharactersMax = 255
    /// Largest topology file read: a 64-site topology is a few kilobytes.
    public static let topologyFileBytesMax = 1_024 * 1_024
    /// Largest public-key file read: three short lines and a comment.
    public static let publicKeysFileBytesMax = 4_096
}
