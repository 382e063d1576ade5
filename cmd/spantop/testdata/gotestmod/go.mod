module example.com/gotestmod

go 1.26
