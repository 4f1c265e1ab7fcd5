{"name": "event_recorder", "version": "0.1.0", "summary": "Records every business event it is given (tests)."}
