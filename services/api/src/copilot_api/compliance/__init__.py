"""Fair-housing compliance: `query_screening` refuses search queries that steer by a protected
class; `advertising_review` cleans generated listing text. Their rule files sit next to them."""
