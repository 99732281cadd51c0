// Placeholder until links through fault proxies land.
extension LocalCluster {
    public var hasProxiedLinks: Bool { false }
    public func cutLinks(of site: String) throws { throw ClusterError.node(site: site, problem: "no proxied links") }
    public func healLinks() throws {}
}
