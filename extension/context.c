/*-------------------------------------------------------------------------
 *
 * context.c
 *		The Unleash evaluation context: read it from jsonb, look fields up.
 *
 * A context is {"userId", "sessionId", "remoteAddress", "environment",
 * "appName", "currentTime", "properties": {...}}.  The well-known fields get
 * a slot of their own when parsed; any other name is looked up at its use,
 * first among the top-level members, then in properties (the Node SDK's
 * resolveContextValue).  Lookups point into the caller's jsonb: nothing is
 * copied, except the text of a JSON number.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "pg_release.h"

/*
 * A JSON scalar as context text: strings as they are, numbers in canonical
 * text form (so {"userId": 42} equals {"userId": "42"}), booleans as
 * "true"/"false".  False for null, objects and arrays: absent.
 */
static bool
context_scalar_text(const JsonbValue *v, const char **val, int *len)
{
	switch (v->type)
	{
		case jbvString:
			*val = v->val.string.val;
			*len = v->val.string.len;
			return true;
		case jbvNumeric:
			*val = DatumGetCString(DirectFunctionCall1(numeric_out,
													   NumericGetDatum(v->val.numeric)));
			*len = strlen(*val);
			return true;
		case jbvBool:
			*val = v->val.boolean ? "true" : "false";
			*len = strlen(*val);
			return true;
		default:
			return false;
	}
}

/*
 * Read one well-known field.  Returns NULL on success, else the error
 * message: such a field must be a string or a number (or null: absent).
 */
static const char *
context_field(Jsonb *jb, const char *name, const char **val, int *len)
{
	JsonbValue	v;

	*val = NULL;
	*len = 0;
	if (getKeyJsonValueFromContainer(&jb->root, name, strlen(name), &v) == NULL ||
		v.type == jbvNull)
		return NULL;
	if (v.type == jbvString || v.type == jbvNumeric)
	{
		(void) context_scalar_text(&v, val, len);
		return NULL;
	}
	return psprintf("context field \"%s\" must be a string or a number", name);
}

/*
 * Parse an Unleash-style context object into ctx.  Returns NULL when it is
 * well-formed, else the error message (the caller raises it, or reports it
 * as flag_explain's PARSE_ERROR).
 */
const char *
context_parse(Jsonb *jb, EvalContext *ctx)
{
	JsonbValue	v;
	const char *err;

	memset(ctx, 0, sizeof(*ctx));
	if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
		return "evaluation context must be a JSON object";
	ctx->root = &jb->root;

	if ((err = context_field(jb, "userId", &ctx->user_id, &ctx->user_id_len)) != NULL ||
		(err = context_field(jb, "sessionId", &ctx->session_id, &ctx->session_id_len)) != NULL ||
		(err = context_field(jb, "remoteAddress", &ctx->remote_address, &ctx->remote_address_len)) != NULL ||
		(err = context_field(jb, "environment", &ctx->environment, &ctx->environment_len)) != NULL ||
		(err = context_field(jb, "appName", &ctx->app_name, &ctx->app_name_len)) != NULL)
		return err;

	if (getKeyJsonValueFromContainer(&jb->root, "currentTime", 11, &v) != NULL &&
		v.type != jbvNull)
	{
		if (v.type != jbvString)
			return "context field \"currentTime\" must be an ISO 8601 timestamp string";
		ctx->current_time = v.val.string.val;
		ctx->current_time_len = v.val.string.len;
	}

	if (getKeyJsonValueFromContainer(&jb->root, "properties", 10, &v) != NULL &&
		v.type != jbvNull)
	{
		if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
			return "context field \"properties\" must be a JSON object";
		ctx->properties = v.val.binary.data;
	}
	return NULL;
}

/* Look a name up in a JSON object of the context. */
static bool
context_member(JsonbContainer *obj, const ContextFieldRef *ref,
			   const char **val, int *len)
{
	JsonbValue	v;

	if (obj == NULL ||
		getKeyJsonValueFromContainer(obj, ref->name, ref->name_len, &v) == NULL)
		return false;
	return context_scalar_text(&v, val, len);
}

/*
 * The value of a context field as text; false when absent.  Well-known
 * fields come from their slot, then properties; other names from the
 * top-level object, then properties.
 */
bool
context_get(const EvalContext *ctx, const ContextFieldRef *ref,
			const char **val, int *len)
{
	const char *slot = NULL;
	int			slot_len = 0;

	switch (ref->field)
	{
		case CONTEXT_USER_ID:
			slot = ctx->user_id;
			slot_len = ctx->user_id_len;
			break;
		case CONTEXT_SESSION_ID:
			slot = ctx->session_id;
			slot_len = ctx->session_id_len;
			break;
		case CONTEXT_REMOTE_ADDRESS:
			slot = ctx->remote_address;
			slot_len = ctx->remote_address_len;
			break;
		case CONTEXT_ENVIRONMENT:
			slot = ctx->environment;
			slot_len = ctx->environment_len;
			break;
		case CONTEXT_APP_NAME:
			slot = ctx->app_name;
			slot_len = ctx->app_name_len;
			break;
		case CONTEXT_CURRENT_TIME:
			slot = ctx->current_time;
			slot_len = ctx->current_time_len;
			break;
		case CONTEXT_OTHER:
			if (context_member(ctx->root, ref, val, len))
				return true;
			break;
	}
	if (slot != NULL)
	{
		*val = slot;
		*len = slot_len;
		return true;
	}
	return context_member(ctx->properties, ref, val, len);
}
