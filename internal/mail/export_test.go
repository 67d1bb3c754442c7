package mail

import "time"

// Backoff exposes the backoff schedule to the tests.
func Backoff(d *Deliverer, attempts int) time.Duration { return d.backoff(attempts) }
