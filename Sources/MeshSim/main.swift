// The MeshSim command line: a thin executable over the MeshSimKit library (docs/cli.md).
import MeshSimKit

MeshSimCommand.main()
