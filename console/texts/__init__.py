"""How things read for people, shared by the command line and the console: the same lines in
both front ends (an alert's trail, an aggregate's state in the past)."""
