package model

//go:generate go run ../../tools/modelgen -out .
