module tracefix

go 1.26
