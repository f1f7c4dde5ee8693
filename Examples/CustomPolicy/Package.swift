// swift-tools-version:6.0
// An app's own reconnect policy, tested against MeshSim's scenarios: a package that depends on
// MeshSim by path (README.md).
import PackageDescription

let package = Package(
    name: "CustomPolicy",
    products: [
        .library(name: "CustomPolicy", targets: ["CustomPolicy"]),
    ],
    dependencies: [
        // Named, because a path package is otherwise known by its folder's name.
        .package(name: "MeshSim", path: "../.."),
    ],
    targets: [
        // The policy, as the app would keep it beside its page code.
        .target(name: "CustomPolicy", dependencies: [.product(name: "SignalProtocol", package: "MeshSim")]),
        // Scenarios run with it, in the app's own tests.
        .testTarget(name: "CustomPolicyTests", dependencies: [
            "CustomPolicy",
            .product(name: "MeshSimKit", package: "MeshSim"),
            .product(name: "SignalProtocol", package: "MeshSim"),
        ]),
    ]
)
