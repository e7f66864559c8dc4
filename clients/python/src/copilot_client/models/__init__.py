""" Contains all the data models used in inputs/outputs """

from .api_executions_execution_id_get_execution_response_200 import ApiExecutionsExecutionIdGetExecutionResponse200
from .api_experiments_experiment_id_results_experiment_results_response_200 import ApiExperimentsExperimentIdResultsExperimentResultsResponse200
from .api_experiments_list_experiments_response_200 import ApiExperimentsListExperimentsResponse200
from .api_feedback_record_feedback_response_201 import ApiFeedbackRecordFeedbackResponse201
from .api_key_view import ApiKeyView
from .api_listings_listing_key_get_listing_response_200 import ApiListingsListingKeyGetListingResponse200
from .api_sessions_create_session_response_201 import ApiSessionsCreateSessionResponse201
from .api_sessions_session_id_chosen_choose_listings_response_200 import ApiSessionsSessionIdChosenChooseListingsResponse200
from .api_sessions_session_id_get_session_response_200 import ApiSessionsSessionIdGetSessionResponse200
from .api_workflows_list_workflows_response_200 import ApiWorkflowsListWorkflowsResponse200
from .api_workflows_workflow_id_execute_execute_workflow_response_200 import ApiWorkflowsWorkflowIdExecuteExecuteWorkflowResponse200
from .api_workflows_workflow_id_get_workflow_response_200 import ApiWorkflowsWorkflowIdGetWorkflowResponse200
from .bulk_request import BulkRequest
from .bulk_request_listings_item import BulkRequestListingsItem
from .bulk_response import BulkResponse
from .chosen_listings_request import ChosenListingsRequest
from .compliance import Compliance
from .compliance_reason import ComplianceReason
from .create_api_key import CreateApiKey
from .create_session_request import CreateSessionRequest
from .created_api_key import CreatedApiKey
from .criterion import Criterion
from .error_body import ErrorBody
from .error_info import ErrorInfo
from .execute_request import ExecuteRequest
from .execute_request_input import ExecuteRequestInput
from .feedback_in import FeedbackIn
from .feedback_in_outcome import FeedbackInOutcome
from .filter_in import FilterIn
from .filter_out import FilterOut
from .health_detailed_detailed_response_200 import HealthDetailedDetailedResponse200
from .health_health_response_200 import HealthHealthResponse200
from .health_liveness_liveness_response_200 import HealthLivenessLivenessResponse200
from .health_readiness_readiness_response_200 import HealthReadinessReadinessResponse200
from .ranking import Ranking
from .rejected_out import RejectedOut
from .scope import Scope
from .search_request import SearchRequest
from .search_response import SearchResponse
from .search_result_out import SearchResultOut
from .search_result_out_listing import SearchResultOutListing
from .sort_in import SortIn
from .sort_out import SortOut
from .understanding import Understanding

__all__ = (
    "ApiExecutionsExecutionIdGetExecutionResponse200",
    "ApiExperimentsExperimentIdResultsExperimentResultsResponse200",
    "ApiExperimentsListExperimentsResponse200",
    "ApiFeedbackRecordFeedbackResponse201",
    "ApiKeyView",
    "ApiListingsListingKeyGetListingResponse200",
    "ApiSessionsCreateSessionResponse201",
    "ApiSessionsSessionIdChosenChooseListingsResponse200",
    "ApiSessionsSessionIdGetSessionResponse200",
    "ApiWorkflowsListWorkflowsResponse200",
    "ApiWorkflowsWorkflowIdExecuteExecuteWorkflowResponse200",
    "ApiWorkflowsWorkflowIdGetWorkflowResponse200",
    "BulkRequest",
    "BulkRequestListingsItem",
    "BulkResponse",
    "ChosenListingsRequest",
    "Compliance",
    "ComplianceReason",
    "CreateApiKey",
    "CreatedApiKey",
    "CreateSessionRequest",
    "Criterion",
    "ErrorBody",
    "ErrorInfo",
    "ExecuteRequest",
    "ExecuteRequestInput",
    "FeedbackIn",
    "FeedbackInOutcome",
    "FilterIn",
    "FilterOut",
    "HealthDetailedDetailedResponse200",
    "HealthHealthResponse200",
    "HealthLivenessLivenessResponse200",
    "HealthReadinessReadinessResponse200",
    "Ranking",
    "RejectedOut",
    "Scope",
    "SearchRequest",
    "SearchResponse",
    "SearchResultOut",
    "SearchResultOutListing",
    "SortIn",
    "SortOut",
    "Understanding",
)
