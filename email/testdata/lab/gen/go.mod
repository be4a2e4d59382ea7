// The lab's tools are a module of their own: they never enter rebond's
// product module (github.com/rebond/rebond) or its dependency graph.
module rebond.lab/gen

go 1.24
