module benchprog

go 1.26
