/* routes: the JSON API's one route table. */
#include "api.h"
#include "request.h"

const struct route api_routes[] = {
	{ M_GET, "/api/health/", api_health, R_ANY_SCHEMA | R_NO_THROTTLE | R_NO_AUTH },
	{ M_POST, "/api/auth/token/", api_token, 0 },
};

const size_t n_api_routes = sizeof(api_routes) / sizeof(api_routes[0]);
