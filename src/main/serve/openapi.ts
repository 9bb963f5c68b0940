// The server's OpenAPI description (served at /openapi.json), written by hand: the routes are few
// and follow TensorFlow Serving's REST API, which has no schema of its own to generate from.
export function openApiDocument(name: string, url: string): object {
  const error = { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] }
  const errors = {
    '400': {
      description: 'bad request (malformed JSON, wrong shape, value out of range)',
      content: { 'application/json': { schema: error } }
    },
    '401': { description: 'missing or wrong bearer token (when the server requires one)' },
    '404': { description: 'unknown model name or route' },
    '413': { description: 'body too large' },
    '503': { description: 'queue full; retry after the Retry-After header' }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Fashion Studio model server',
      version: '1',
      description:
        "TensorFlow Serving's REST predict API for a Fashion-MNIST classifier, plus an image endpoint. Inputs: 28x28 grey images, light garment on black, pixels scaled to [0, 1]. Output: ten class probabilities in the order T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot."
    },
    servers: [{ url }],
    paths: {
      [`/v1/models/${name}`]: {
        get: {
          summary: 'model status (TensorFlow Serving format)',
          responses: { '200': { description: 'status' } }
        }
      },
      [`/v1/models/${name}/metadata`]: {
        get: {
          summary: 'signature of the model',
          responses: { '200': { description: 'metadata' } }
        }
      },
      [`/v1/models/${name}:predict`]: {
        post: {
          summary: 'class probabilities for 28x28 images',
          requestBody: {
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    instances: {
                      type: 'array',
                      maxItems: 1024,
                      items: {
                        description:
                          '784 numbers, or 28 rows of 28 numbers (optionally [28][28][1]), each in [0, 1]'
                      }
                    }
                  }
                }
              }
            }
          },
          responses: {
            '200': {
              description: 'one row of ten probabilities per instance',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      predictions: {
                        type: 'array',
                        items: { type: 'array', items: { type: 'number' } }
                      }
                    }
                  }
                }
              }
            },
            ...errors
          }
        }
      },
      [`/v1/models/${name}:classify-image`]: {
        post: {
          summary: 'classify one product photo (JPEG, PNG or WebP), preprocessed like the dataset',
          requestBody: {
            content: {
              'image/jpeg': { schema: { type: 'string', format: 'binary' } },
              'image/png': { schema: { type: 'string', format: 'binary' } },
              'image/webp': { schema: { type: 'string', format: 'binary' } },
              'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
              'multipart/form-data': {
                schema: {
                  type: 'object',
                  properties: { image: { type: 'string', format: 'binary' } }
                }
              }
            }
          },
          responses: {
            '200': {
              description: '{ class, label, confidence, top3: [{ class, label, probability }] }'
            },
            ...errors,
            '415': { description: 'not a supported image' }
          }
        }
      },
      '/healthz': { get: { summary: 'liveness', responses: { '200': { description: 'alive' } } } },
      '/readyz': {
        get: {
          summary: 'readiness: the model is loaded',
          responses: { '200': { description: 'ready' }, '503': { description: 'not ready' } }
        }
      }
    }
  }
}
