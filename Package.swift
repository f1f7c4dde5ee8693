// swift-tools-version:6.0
// MeshSim: a deterministic discrete-event simulator of browser WebRTC full meshes.
// No package dependencies: the toolchain only (Swift, Foundation, Dispatch, Swift Testing).
import PackageDescription

let package = Package(
    name: "MeshSim",
    products: [
        .library(name: "SignalProtocol", targets: ["SignalProtocol"]),
        .library(name: "MeshSimKit", targets: ["MeshSimKit"]),
        .executable(name: "MeshSim", targets: ["MeshSim"]),
    ],
    targets: [
        // The protocol itself: wire messages, the signaling server, the mesh manager and the
        // RTCPeerConnection model. No clock, no randomness, no I/O.
        .target(
            name: "SignalProtocol",
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        // The simulator (kernel, network, world, scenario, oracle, report, cli), as a library so
        // that other packages can run scenarios in their own tests (docs/library.md).
        .target(
            name: "MeshSimKit",
            dependencies: ["SignalProtocol"],
            swiftSettings: [.swiftLanguageMode(.v5), .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        // The command line: Sources/MeshSimKit/main.swift calls MeshSimKit's MeshSimCommand.
        .executableTarget(
            name: "MeshSim",
            dependencies: ["MeshSimKit"],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .testTarget(name: "SignalProtocolTests", dependencies: ["SignalProtocol"],
                    swiftSettings: [.swiftLanguageMode(.v5)]),
        // Depends on the executable too, so that `swift test` builds the binary the process
        // tests run.
        .testTarget(name: "MeshSimTests", dependencies: ["MeshSim", "MeshSimKit", "SignalProtocol"],
                    swiftSettings: [.swiftLanguageMode(.v5)]),
        // MeshSimKit's public API only, as another package uses it.
        .testTarget(name: "MeshSimKitAPITests", dependencies: ["MeshSimKit", "SignalProtocol"],
                    swiftSettings: [.swiftLanguageMode(.v5)]),
    ]
)
