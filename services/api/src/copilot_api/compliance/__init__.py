"""Fair-housing compliance: `query_screening` refuses search queries that steer by a protected
class (its patterns in `steering_patterns`); `advertising_review` cleans generated listing text.
`phrases` is what they share. Each rule file sits next to the module that reads it."""
