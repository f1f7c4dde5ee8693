// swift-tools-version:6.0
// MeshSim: a deterministic discrete-event simulator of browser WebRTC full meshes.
// No package dependencies: the toolchain only (Swift, Foundation, Dispatch, Swift Testing).
import PackageDescription

let package = Package(
    name: "MeshSim",
    products: [
        .library(name: "SignalProtocol", targets: ["SignalProtocol"]),
        .executable(name: "MeshSim", targets: ["MeshSim"]),
    ],
    targets: [
        // The protocol itself: wire messages, the signaling server, the mesh manager and the
        // RTCPeerConnection model. No clock, no randomness, no I/O.
        .target(
            name: "SignalProtocol",
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        // The simulator and its command line (kernel, network, world, scenario, oracle, report, cli).
        .executableTarget(
            name: "MeshSim",
            dependencies: ["SignalProtocol"],
            swiftSettings: [.swiftLanguageMode(.v5), .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        .testTarget(name: "SignalProtocolTests", dependencies: ["SignalProtocol"],
                    swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(name: "MeshSimTests", dependencies: ["MeshSim", "SignalProtocol"],
                    swiftSettings: [.swiftLanguageMode(.v5)]),
    ]
)
