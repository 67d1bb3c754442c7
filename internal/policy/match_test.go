package policy

import "testing"

// MatchAction: * and ? wildcards, backtracking to the last *, ASCII case folded
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html).
func TestMatchAction(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"", "", true},
		{"*", "", true},
		{"**", "abc", true},
		{"a", "a", true},
		{"a", "b", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"a*c", "ac", true},
		{"a*c", "abcbc", true},
		{"a*c", "abcb", false},
		{"*x", "abc", false},
		{"a*b*c", "axbybzc", true},
		{"a*b*c", "axbyc", true},
		{"a*b*c", "axcyb", false},
		{"?", "", false},
		{"abc", "ab", false},
		{"ab", "abc", false},
		{"s3:Get*", "S3:GETOBJECT", true},
		{"EC2:*instance?", "ec2:RunInstances", true},
		{"ec2:*Instance?", "ec2:RunInstance", false},
	}
	for _, tt := range tests {
		if got := MatchAction(tt.p, tt.s); got != tt.want {
			t.Errorf("MatchAction(%q, %q) = %v, want %v", tt.p, tt.s, got, tt.want)
		}
	}
}
