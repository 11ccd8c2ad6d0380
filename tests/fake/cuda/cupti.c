/*
 * cupti.c: a stand-in libcupti.so for the tests, built against the real cupti.h: the functions
 * libscorch-cupti.so calls, with their real types, over the state of the stand-in driver
 * (cuda.c: the subscriber, the enabled kinds, the queued records, the script), which this library
 * links. The tests name it in SCORCH_CUPTI_LIB.
 */
#include <cuda.h>
#include <cupti.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define EXPORT __attribute__((visibility("default")))

int scfake_subscribe(CUpti_CallbackFunc cb, void *data);
void scfake_enable_domain(int domain, int on);
void scfake_enable_kind(int kind);
void scfake_buffers(CUpti_BuffersCallbackRequestFunc req, CUpti_BuffersCallbackCompleteFunc done);
int scfake_timestamp_callback(CUpti_TimestampCallbackFunc ts);
void scfake_flush_period(uint32_t ms);
uint64_t scfake_take_dropped(void);
size_t scfake_record_size(int kind);
void scfake_flush(void);
uint64_t scfake_now(void);

EXPORT CUptiResult CUPTIAPI cuptiSubscribe(CUpti_SubscriberHandle *subscriber,
					   CUpti_CallbackFunc callback, void *userdata)
{
	int r = scfake_subscribe(callback, userdata);
	if (r)
		return (CUptiResult)r;
	static int handle;
	*subscriber = (CUpti_SubscriberHandle)&handle;
	return CUPTI_SUCCESS;
}

EXPORT CUptiResult CUPTIAPI cuptiEnableDomain(uint32_t enable, CUpti_SubscriberHandle subscriber,
					      CUpti_CallbackDomain domain)
{
	(void)subscriber;
	scfake_enable_domain((int)domain, (int)enable);
	return CUPTI_SUCCESS;
}

EXPORT CUptiResult CUPTIAPI cuptiActivityEnable(CUpti_ActivityKind kind)
{
	scfake_enable_kind((int)kind);
	return CUPTI_SUCCESS;
}

EXPORT CUptiResult CUPTIAPI
cuptiActivityRegisterCallbacks(CUpti_BuffersCallbackRequestFunc funcBufferRequested,
			       CUpti_BuffersCallbackCompleteFunc funcBufferCompleted)
{
	scfake_buffers(funcBufferRequested, funcBufferCompleted);
	return CUPTI_SUCCESS;
}

EXPORT CUptiResult CUPTIAPI
cuptiActivityRegisterTimestampCallback(CUpti_TimestampCallbackFunc funcTimestamp)
{
	return scfake_timestamp_callback(funcTimestamp) ? CUPTI_ERROR_NOT_SUPPORTED : CUPTI_SUCCESS;
}

EXPORT CUptiResult CUPTIAPI cuptiActivityFlushPeriod(uint32_t time)
{
	scfake_flush_period(time);
	return CUPTI_SUCCESS;
}

EXPORT CUptiResult CUPTIAPI cuptiActivityFlushAll(uint32_t flag)
{
	(void)flag;
	scfake_flush();
	return CUPTI_SUCCESS;
}

EXPORT CUptiResult CUPTIAPI cuptiActivityGetNextRecord(uint8_t *buffer, size_t validBufferSizeBytes,
						       CUpti_Activity **record)
{
	size_t at = 0;
	if (*record) {
		at = (size_t)((uint8_t *)*record - buffer);
		at += scfake_record_size((*record)->kind);
	}
	if (at >= validBufferSizeBytes)
		return CUPTI_ERROR_MAX_LIMIT_REACHED;
	CUpti_Activity *a = (CUpti_Activity *)(buffer + at);
	if (!scfake_record_size(a->kind) || at + scfake_record_size(a->kind) > validBufferSizeBytes)
		return CUPTI_ERROR_INVALID_KIND;
	*record = a;
	return CUPTI_SUCCESS;
}

EXPORT CUptiResult CUPTIAPI cuptiActivityGetNumDroppedRecords(CUcontext context, uint32_t streamId,
							      size_t *dropped)
{
	(void)context;
	(void)streamId;
	*dropped = (size_t)scfake_take_dropped();
	return CUPTI_SUCCESS;
}

EXPORT CUptiResult CUPTIAPI cuptiGetTimestamp(uint64_t *timestamp)
{
	*timestamp = scfake_now();
	return CUPTI_SUCCESS;
}

EXPORT CUptiResult CUPTIAPI cuptiGetVersion(uint32_t *version)
{
	*version = CUPTI_API_VERSION;
	return CUPTI_SUCCESS;
}

EXPORT CUptiResult CUPTIAPI cuptiGetResultString(CUptiResult result, const char **str)
{
	switch (result) {
	case CUPTI_SUCCESS:
		*str = "CUPTI_SUCCESS";
		break;
	case CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED:
		*str = "CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED";
		break;
	case CUPTI_ERROR_NOT_INITIALIZED:
		*str = "CUPTI_ERROR_NOT_INITIALIZED";
		break;
	default:
		*str = "CUPTI_ERROR_UNKNOWN";
		break;
	}
	return CUPTI_SUCCESS;
}
