"""Offline LangGraph apps for the adapter tests: a two-node RAG graph and a ReAct agent."""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

from _lc_apps import format_docs, vector_retriever
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import (
    FakeListChatModel,
    GenericFakeChatModel,
)
from langchain_core.messages import AIMessage, AnyMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode, tools_condition


class AgentState(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]


class RAGState(TypedDict, total=False):
    question: str
    context: list[Document]
    answer: str


def rag_graph() -> Any:
    """A two-node StateGraph: retrieve (closure over a retriever), generate (over a chain)."""
    retriever = vector_retriever()
    gen_chain = (
        ChatPromptTemplate.from_template("Context: {context}\nQ: {question}")
        | FakeListChatModel(responses=["Paris (from graph)."])
        | StrOutputParser()
    )

    def retrieve(state: RAGState) -> RAGState:
        return {"context": retriever.invoke(state["question"])}

    def generate(state: RAGState) -> RAGState:
        ctx = format_docs(state["context"])
        return {"answer": gen_chain.invoke({"context": ctx, "question": state["question"]})}

    graph = StateGraph(RAGState)
    graph.add_node("retrieve", retrieve)
    graph.add_node("generate", generate)
    graph.add_edge(START, "retrieve")
    graph.add_edge("retrieve", "generate")
    graph.add_edge("generate", END)
    return graph.compile()


WEATHER_CALLS: list[str] = []


@tool
def get_weather(city: str) -> str:
    """Return the weather for a city."""
    WEATHER_CALLS.append(city)
    return f"It is sunny in {city}."


class FakeToolChatModel(GenericFakeChatModel):
    """GenericFakeChatModel that accepts bind_tools (the base class raises NotImplementedError)."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self.bind(tools=[getattr(t, "name", t) for t in tools], **kwargs)


def scripted_model() -> FakeToolChatModel:
    """First asks for get_weather(Paris), then answers; both messages report usage."""
    return FakeToolChatModel(
        messages=iter(
            [
                AIMessage(
                    content="",
                    tool_calls=[
                        {
                            "name": "get_weather",
                            "args": {"city": "Paris"},
                            "id": "call_1",
                            "type": "tool_call",
                        }
                    ],
                    usage_metadata={"input_tokens": 12, "output_tokens": 5, "total_tokens": 17},
                ),
                AIMessage(
                    content="It is sunny in Paris.",
                    usage_metadata={"input_tokens": 30, "output_tokens": 7, "total_tokens": 37},
                ),
            ]
        )
    )


def react_agent(tools: list[Any] | None = None, handle_tool_errors: bool = True) -> Any:
    """A tool-calling ReAct agent: model node + ToolNode, routed by tools_condition."""
    tools = tools if tools is not None else [get_weather]
    model = scripted_model().bind_tools(tools)

    def agent(state: AgentState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    graph = StateGraph(AgentState)
    graph.add_node("agent", agent)
    graph.add_node("tools", ToolNode(tools, handle_tool_errors=handle_tool_errors))
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", tools_condition)
    graph.add_edge("tools", "agent")
    return graph.compile()
