"""Request schemas of the S3 Vectors operations (bounds from botocore's `s3vectors` service model and the
service's documented limits: topK up to 100, 500 vectors per PutVectors/DeleteVectors, 100 per GetVectors).

Vector values are checked for type in the index layer (a schema walk over 500 x 4096 numbers is too slow).
"""

from __future__ import annotations

from typing import Any

from outcrop.families.schema import array, enum, integer, obj, string

NAME = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
_ARN = r"^arn:aws[-a-z0-9]*:s3vectors:[a-z0-9-]+:[0-9]{12}:bucket/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"
_NAME = string(3, 63, pattern=NAME)
_BOOL = {"type": "boolean"}
_KEY = string(1, 1024)
_ENCRYPTION = obj({"sseType": enum("AES256", "aws:kms"), "kmsKeyArn": string(1, 2048)})
_TAGS = {"type": "object", "additionalProperties": string(0, 256)}
_BUCKET = {"vectorBucketName": _NAME, "vectorBucketArn": string(pattern=_ARN + "$")}
_INDEX = {"vectorBucketName": _NAME, "indexName": _NAME, "indexArn": string(pattern=_ARN + "/index/" + NAME[1:])}
_DATA = obj({"float32": {"type": "array"}}, ["float32"])
_PAGE = {"maxResults": integer(1, 500), "nextToken": string(1, 512), "prefix": string(1, 63)}


def _op(members: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return obj(members, required)


CREATE_BUCKET = _op({"vectorBucketName": _NAME, "encryptionConfiguration": _ENCRYPTION, "tags": _TAGS},
                    ("vectorBucketName",))  # fmt: skip
BUCKET = _op(_BUCKET)
LIST_BUCKETS = _op(_PAGE)
CREATE_INDEX = _op(
    {
        **_BUCKET,
        "indexName": _NAME,
        "dataType": enum("float32"),
        "dimension": integer(1, 4096),
        "distanceMetric": enum("euclidean", "cosine"),
        "metadataConfiguration": obj(
            {"nonFilterableMetadataKeys": array(string(1, 63), 1, 10)}, ["nonFilterableMetadataKeys"]
        ),
        "encryptionConfiguration": _ENCRYPTION,
        "tags": _TAGS,
    },
    ("indexName", "dataType", "dimension", "distanceMetric"),
)
INDEX = _op(_INDEX)
LIST_INDEXES = _op({**_BUCKET, **_PAGE})
PUT_VECTORS = _op({**_INDEX, "vectors": array(obj({"key": _KEY, "data": _DATA, "metadata": {}}, ["key", "data"]),
                                              1, 500)}, ("vectors",))  # fmt: skip
GET_VECTORS = _op({**_INDEX, "keys": array(_KEY, 1, 100), "returnData": _BOOL, "returnMetadata": _BOOL}, ("keys",))
DELETE_VECTORS = _op({**_INDEX, "keys": array(_KEY, 1, 500)}, ("keys",))
LIST_VECTORS = _op({**_INDEX, "maxResults": integer(1, 1000), "nextToken": string(1, 2048),
                    "segmentCount": integer(1, 16), "segmentIndex": integer(0, 15), "returnData": _BOOL,
                    "returnMetadata": _BOOL})  # fmt: skip
QUERY_VECTORS = _op({**_INDEX, "topK": integer(1, 100), "queryVector": _DATA, "filter": {},
                     "returnMetadata": _BOOL, "returnDistance": _BOOL}, ("topK", "queryVector"))  # fmt: skip
