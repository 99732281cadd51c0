// The seeded generator lives in Domain so the pure traffic model (Drill) can share it without depending on
// Simulation; re-exported here so code that imports only Simulation keeps seeing it.
@_exported import struct Domain.SeededRandom
