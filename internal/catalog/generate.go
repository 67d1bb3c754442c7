package catalog

// The pinned source: version and npm dist.integrity change together.
//go:generate go run ./gen -version 0.21.202609261 -integrity sha512-fmjPChL/p+FZvKASQiw6WjdaAzKkvwVwN45tfyDiW3LJe2DoS7e/SIRQiT0y2fqE8J4iWoCIA/4pIc9AoyVd2Q==
